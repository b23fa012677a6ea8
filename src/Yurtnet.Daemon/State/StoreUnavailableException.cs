namespace Yurtnet.Daemon.State;

/// <summary>
/// A change did not reach the disk: the store is full or failing (the message says which, and what to do), or, with
/// <see cref="Condition"/> Ok, the files were opened again while the change was decided and it must be decided again.
/// </summary>
internal sealed class StoreUnavailableException : IOException
{
    public StoreUnavailableException(StoreCondition condition, string message, Exception? inner)
        : base(message, inner) => Condition = condition;

    public StoreUnavailableException()
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public StoreCondition Condition { get; } = StoreCondition.Failing;
}
