namespace Yurtnet.Daemon.State;

/// <summary>The state database was written by a newer yurtnet: yurtnetd refuses to start rather than wipe it.</summary>
internal sealed class StoreTooNewException : Exception
{
    public StoreTooNewException()
    {
    }

    public StoreTooNewException(string message)
        : base(message)
    {
    }

    public StoreTooNewException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
