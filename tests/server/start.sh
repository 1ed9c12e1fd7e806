# start.sh - start tests/server/server.py from an end-to-end script.
# Source it after tests/cli/lib/common.sh (it needs $T and $TOP), then:
#
#   start_server ROOT [--tls CERT KEY]   sets PORT and BASE (http[s]://127.0.0.1:PORT)
#   make_ca DIR                          a throwaway CA and a server certificate for
#                                        127.0.0.1 (openssl CLI): DIR/ca.pem,
#                                        DIR/server.pem (chain), DIR/server.key
#
# The server stops when the script exits, whatever the reason: the EXIT
# trap kills it, and its stdin is a FIFO held open by this shell (fd 9),
# so it also reads EOF if the shell dies by SIGKILL.
SERVER_PID=
stop_server() {
	exec 9>&- 2>/dev/null
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	SERVER_PID=
}
trap 'stop_server; rm -rf "$T"' EXIT

start_server() {
	root=$1
	shift
	scheme=http
	[ "${1:-}" = "--tls" ] && scheme=https
	rm -f "$T/server.in" "$T/server.port"
	mkfifo "$T/server.in"
	python3 "$TOP/tests/server/server.py" "$root" "$@" <"$T/server.in" >"$T/server.port" \
		2>"$T/server.err" &
	SERVER_PID=$!
	exec 9>"$T/server.in"
	i=0
	while ! grep -q '^PORT ' "$T/server.port" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
			cat "$T/server.err" >&2
			echo "start_server: the test server did not start" >&2
			exit 1
		fi
		sleep 0.05
	done
	PORT=$(sed -n 's/^PORT //p' "$T/server.port")
	BASE=$scheme://127.0.0.1:$PORT
}

make_ca() {
	d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=appbuild test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1 || return 1
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.crt" >/dev/null 2>&1 \
		|| return 1
	cat "$d/server.crt" "$d/ca.pem" >"$d/server.pem"
}
