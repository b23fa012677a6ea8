namespace Yurtnet.Daemon.State;

/// <summary>
/// The state database must not be used as it is by this yurtnetd: a newer one wrote it in a way this one would
/// misread, or its migration to this one's format failed. yurtnetd refuses to start (exit status 3, which systemd
/// does not restart) rather than wipe it or guess.
/// </summary>
internal sealed class StoreRefusedException : Exception
{
    public StoreRefusedException()
    {
    }

    public StoreRefusedException(string message)
        : base(message)
    {
    }

    public StoreRefusedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
