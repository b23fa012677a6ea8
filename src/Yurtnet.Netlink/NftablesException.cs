namespace Yurtnet.Netlink;

/// <summary>How a run of <c>nft</c> failed.</summary>
public enum NftablesFailure
{
    /// <summary>No nft binary (the nftables package is not installed).</summary>
    Missing,

    /// <summary>nft ran and refused the script, or could not be started.</summary>
    Failed,

    /// <summary>nft did not finish in time and was killed.</summary>
    TimedOut,
}

/// <summary>A run of <c>nft</c> that did not apply its script; the message says why.</summary>
public sealed class NftablesException : Exception
{
    public NftablesException()
    {
    }

    public NftablesException(string message)
        : base(message)
    {
    }

    public NftablesException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public NftablesException(NftablesFailure failure, string message)
        : base(message)
    {
        Failure = failure;
    }

    public NftablesFailure Failure { get; }
}
