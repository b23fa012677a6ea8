namespace Yurtnet.Cni;

/// <summary>A CNI error result: printed as JSON on stdout with a non-zero exit.</summary>
internal sealed record CniError(int Code, string Msg, string Details = "")
{
    public const int IncompatibleVersion = 1;
    public const int UnsupportedField = 2;
    public const int UnknownContainer = 3;
    public const int InvalidEnvironment = 4;
    public const int IoFailure = 5;
    public const int DecodeFailure = 6;
    public const int InvalidNetworkConfig = 7;
    public const int InvalidNetns = 8;
    public const int TryAgainLater = 11;
    public const int PluginNotAvailable = 50;
    public const int Internal = 999;
}
