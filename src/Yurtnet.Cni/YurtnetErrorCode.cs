namespace Yurtnet.Cni;

/// <summary>Plugin-specific CNI error codes (the spec reserves 0-99).</summary>
internal static class YurtnetErrorCode
{
    /// <summary>No free address in a pool.</summary>
    public const int PoolExhausted = 100;

    /// <summary>CHECK found the attachment different from its prevResult, or its lease not active.</summary>
    public const int CheckMismatch = 101;

    /// <summary>yurtnetd refused the request (protocol version, permission, invalid request, internal failure).</summary>
    public const int DaemonRefused = 102;
}
