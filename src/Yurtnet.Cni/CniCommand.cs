namespace Yurtnet.Cni;

/// <summary>The verbs of CNI spec 1.1.0.</summary>
internal enum CniCommand
{
    Add,
    Del,
    Check,
    Status,
    Version,
    Gc,
}
