using Yurtnet.Protocol;

namespace Yurtnet.Cni;

internal sealed partial class Plugin
{
    /// <summary>GC: release every lease of this network whose attachment the runtime no longer knows.</summary>
    private byte[] Gc()
    {
        RequireVersion("GC");
        using var client = Connect(conf.DaemonWait, CniError.TryAgainLater);
        var collected = Ask<GcResponse>(client, new GcRequest { Network = conf.Name, ValidAttachments = conf.ValidAttachments ?? [] });
        log.Info($"GC released {collected.Released} lease(s)");
        return [];
    }
}
