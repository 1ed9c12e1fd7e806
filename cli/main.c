/* placeholder; replaced by the CLI */
#include <stdio.h>
int main(void)
{
	puts("appbuild");
	return 0;
}
