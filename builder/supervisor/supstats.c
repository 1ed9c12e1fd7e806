/* supstats.c - the supervisor's status as JSON (`status --json` on the
 * control socket, and GET / or /status on the --stats-http server), with CPU
 * seconds and RSS read from /proc/PID/stat for the HTTP variant; and the
 * --stats-http server itself: listening, reading one request, answering it
 * (HTTP/1.0, one request per connection). */
#include "builder/supervisor/sup_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void json_str(struct ab_buf *b, const char *str)
{
	ab_buf_addc(b, '"');
	for (const unsigned char *c = (const unsigned char *)str; *c; c++) {
		if (*c == '"' || *c == '\\')
			ab_buf_addf(b, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			ab_buf_addf(b, "\\u%04x", *c);
		else
			ab_buf_addc(b, (char)*c);
	}
	ab_buf_addc(b, '"');
}

/* CPU seconds (user + system) and resident bytes of one process, from /proc. */
static bool proc_stats(pid_t pid, double *cpu, long long *rss)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	/* the command name may hold spaces and parentheses: fields follow the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	unsigned long utime = 0, stime = 0;
	long rss_pages = 0;
	/* after ')': state(3) ... utime(14) stime(15) ... rss(24) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d "
			  "%*d %*d %*u %*u %ld",
		   &utime, &stime, &rss_pages) != 3)
		return false;
	long hz = sysconf(_SC_CLK_TCK);
	*cpu = (double)(utime + stime) / (double)(hz > 0 ? hz : 100);
	*rss = (long long)rss_pages * sysconf(_SC_PAGESIZE);
	return true;
}

void sup_status_json(struct sup *s, const struct supctl_cmd *c, bool stats,
			struct ab_buf *b)
{
	ab_buf_addf(b, "{\"pid\":%d,\"uptime\":%.3f,\"state\":\"%s\",\"orphans_reaped\":%lu",
		    (int)getpid(), (double)(s->now - s->started) / SEC,
		    s->shutting ? "stopping" : "running", s->orphans);
	if (stats) {
		double cpu = 0;
		long long rss = 0;
		if (proc_stats(getpid(), &cpu, &rss))
			ab_buf_addf(b, ",\"cpu\":%.2f,\"rss\":%lld", cpu, rss);
	}
	ab_buf_adds(b, ",\"processes\":[");
	bool first = true;
	for (size_t i = 0; i < s->nprocs; i++) {
		struct proc *p = s->procs[i];
		if (c && c->name.len && !ab_str_eq_cstr(c->name, p->c.name))
			continue;
		ab_buf_adds(b, first ? "{" : ",{");
		first = false;
		ab_buf_adds(b, "\"name\":");
		json_str(b, p->c.name);
		ab_buf_addf(b, ",\"scale\":%ld,\"restart\":\"%s\",\"fatal_reason\":", p->want,
			    supconf_restart_name(p->c.restart));
		if (p->fatal_reason)
			json_str(b, p->fatal_reason);
		else
			ab_buf_adds(b, "null");
		ab_buf_adds(b, ",\"instances\":[");
		bool ifirst = true;
		for (size_t j = 0; j < p->ninst; j++) {
			struct inst *in = p->inst[j];
			if (!in || (c && !sup_matches(in, c)))
				continue;
			ab_buf_addf(b, "%s{\"index\":%ld,\"state\":\"%s\",\"pid\":", ifirst ? "" : ",",
				    in->index, sup_state_names[in->state]);
			ifirst = false;
			if (in->pid)
				ab_buf_addf(b, "%d,\"uptime\":%.3f", (int)in->pid,
					    (double)(s->now - in->spawned) / SEC);
			else
				ab_buf_adds(b, "null,\"uptime\":null");
			ab_buf_addf(b, ",\"restarts\":%ld,\"last_exit\":", in->restarts);
			if (in->has_status) {
				struct ab_buf st = AB_BUF_INIT;
				sup_describe_status(&st, in->status);
				json_str(b, st.buf);
				ab_buf_release(&st);
			} else {
				ab_buf_adds(b, "null");
			}
			double cpu = 0;
			long long rss = 0;
			if (stats && in->pid && proc_stats(in->pid, &cpu, &rss))
				ab_buf_addf(b, ",\"cpu\":%.2f,\"rss\":%lld", cpu, rss);
			ab_buf_addc(b, '}');
		}
		ab_buf_adds(b, "]}");
	}
	ab_buf_adds(b, "]}\n");
}

void sup_http_exec(struct sup *s, struct conn *c)
{
	struct ab_buf body = AB_BUF_INIT;
	const char *status = "200 OK";
	if (strncmp(c->in.buf, "GET / ", 6) == 0 || strncmp(c->in.buf, "GET /status ", 12) == 0) {
		sup_status_json(s, NULL, true, &body);
	} else if (strncmp(c->in.buf, "GET ", 4) == 0) {
		status = "404 Not Found";
		ab_buf_adds(&body, "{\"error\":\"not found\"}\n");
	} else {
		status = "405 Method Not Allowed";
		ab_buf_adds(&body, "{\"error\":\"method not allowed\"}\n");
	}
	ab_buf_addf(&c->out,
		    "HTTP/1.0 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		    "Cache-Control: no-store\r\nConnection: close\r\n\r\n%s",
		    status, body.len, body.buf);
	ab_buf_release(&body);
}

void sup_http_input(struct sup *s, struct conn *c, const char *p, size_t n)
{
	if (c->out.len)
		return; /* answered: the rest is ignored */
	if (ab_buf_add(&c->in, p, n) < 0) {
		ab_buf_adds(&c->out, "HTTP/1.0 413 Request Too Large\r\n"
				     "Connection: close\r\n\r\n");
		ab_buf_reset(&c->in);
	} else if (strstr(c->in.buf, "\r\n\r\n") || strstr(c->in.buf, "\n\n")) {
		sup_http_exec(s, c);
	}
}

int sup_listen_http(struct sup *s, const char *spec, struct ab_err *err)
{
	const char *colon = strrchr(spec, ':');
	struct sockaddr_in a = { .sin_family = AF_INET };
	char host[64];
	char *end = NULL;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || (size_t)(colon - spec) >= sizeof(host) || !end || *end || port < 1 ||
	    port > 65535)
		return ab_err_set(err, AB_E_USAGE, "invalid --stats-http '%s' (expected IP:PORT)",
				  spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = 0;
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return ab_err_set(err, AB_E_USAGE,
				  "invalid --stats-http '%s' (expected an IPv4 address)", spec);
	a.sin_port = htons((uint16_t)port);
	s->http_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(s->http_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s->http_fd < 0 || bind(s->http_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s->http_fd, 16) < 0)
		return ab_err_set(err, AB_E_IO, "cannot listen on %s: %s", spec, strerror(errno));
	s->http_ev = (struct ev){ EV_HTTP_LISTEN, NULL };
	sup_ep_add(s, s->http_fd, EPOLLIN, &s->http_ev);
	return 0;
}
