namespace Yurtnet.Cni;

internal sealed record ResultInterface(string Name, string? Mac, int? Mtu = null, string? Sandbox = null);
