#!/usr/bin/perl
# What systemd does for yurtnetd.socket + yurtnetd.service (Restart=always), for tests without systemd as PID 1:
# listen on the socket once, start the daemon with it as fd 3 (LISTEN_PID, LISTEN_FDS), and start it again
# whenever it exits, so connections made while it restarts wait in the backlog. Only perl-base modules.
#   socket-holder.pl SOCKET PIDFILE DAEMON [ARGS...]   (PIDFILE gets the current daemon's pid)
use strict;
use warnings;
use IO::Socket::UNIX;
use POSIX qw(dup2 _exit);
use Fcntl qw(F_SETFD);

my ($path, $pidfile, @daemon) = @ARGV;
unlink $path;
my $listener = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $path, Listen => 512) or die "listen $path: $!";
chmod 0600, $path;
my $pid = 0;
$SIG{TERM} = sub { kill 'TERM', $pid if $pid; waitpid $pid, 0 if $pid; exit 0 };
while (1) {
    $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        if (fileno($listener) == 3) {
            fcntl($listener, F_SETFD, 0) or _exit(110);   # perl marks fds above 2 close-on-exec
        } else {
            dup2(fileno($listener), 3) or _exit(111);      # dup2 clears close-on-exec on the new fd
        }
        $ENV{LISTEN_PID} = $$;
        $ENV{LISTEN_FDS} = 1;
        exec @daemon or _exit(112);
    }
    open my $out, '>', "$pidfile.new" or die; print $out "$pid\n"; close $out; rename "$pidfile.new", $pidfile;
    waitpid $pid, 0;
    select undef, undef, undef, 0.05;
}
