/* The sandbox ("pause") process of make e2e's containerd part: the only program of the pause image that
 * scripts/lib/containerd-bed.sh builds offline (gcc -static, no registry). It holds the pod's namespaces open and
 * does nothing else: sleeps in pause(), reaps children on SIGCHLD (it is PID 1 of the pod's PID namespace), and
 * exits 0 on SIGTERM or SIGINT, as StopPodSandbox expects. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int signal_number)
{
    (void)signal_number;
    _exit(0);
}

static void reap(int signal_number)
{
    int saved = errno;
    (void)signal_number;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    errno = saved;
}

static int on(int signal_number, void (*handler)(int))
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    return sigaction(signal_number, &action, NULL);
}

int main(void)
{
    if (on(SIGTERM, stop) != 0 || on(SIGINT, stop) != 0 || on(SIGCHLD, reap) != 0) {
        return 1;
    }
    for (;;) {
        pause();
    }
}
