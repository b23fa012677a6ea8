namespace Yurtnet.Cni;

/// <summary>Carries a <see cref="CniError"/> out of deep plumbing code to the verb boundary.</summary>
internal sealed class CniException(CniError error) : Exception(error.Msg)
{
    public CniError Error { get; } = error;
}
