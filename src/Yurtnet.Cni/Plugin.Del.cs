using Yurtnet.Protocol;

namespace Yurtnet.Cni;

internal sealed partial class Plugin
{
    private static readonly TimeSpan DelConnectBudget = TimeSpan.FromSeconds(1);

    /// <summary>
    /// DEL never fails a teardown, is never lost, and ends within <see cref="NetConf.DelTimeout"/>. The runtime
    /// retries a failed DEL forever and the pod stays Terminating (kubernetes#133081), and after a reboot containerd
    /// sends DEL with an empty CNI_NETNS and no prevResult, up to three times per pod. So: remove what can be found (a
    /// missing netns or veth is "already gone"), then release the addresses; if yurtnetd cannot be reached or does
    /// not answer within what is left of the budget (down, starting, hung, stopped by a signal, its backlog full),
    /// write the release to the durable spool and succeed. A fifth of the budget (at most a second) is kept for the
    /// spool write, and the masquerade lock waits a quarter at most. The only error DEL returns is a spool it cannot
    /// write, because then the release would be lost. A conflist that went bad since the ADD fails DEL only when it
    /// cannot say where to release to (name, socket, spoolDir); and a CNI_NETNS that is the host's own is left alone
    /// (its interface is the host's), while the addresses are still released.
    /// </summary>
    private byte[] Del()
    {
        var deadline = Deadline.After(conf.DelTimeout);
        var spoolReserve = TimeSpan.FromTicks(Math.Min(conf.DelTimeout.Ticks / 5, TimeSpan.TicksPerSecond));
        foreach (var problem in conf.IgnoredProblems)
        {
            log.Warn($"conflist: {problem} (ignored for DEL: only name, socket and spoolDir are needed to release)");
        }

        if (IsOwnNetns())
        {
            log.Warn($"CNI_NETNS {env.Netns} is the plugin's own network namespace: nothing is removed from it; the addresses are released");
        }
        else
        {
            try
            {
                log.Info(PodPlumbing.Detach(env));
            }
            catch (Exception ex)
            {
                log.Warn($"could not remove the pod interface, continuing with the release: {ex.Message}");
            }
        }

        IDisposable? masqueradeLock = null;
        try
        {
            if (conf.IpMasq)
            {
                try
                {
                    masqueradeLock = _masquerade.HoldForRelease(deadline.Take(conf.DelTimeout / 4, spoolReserve));
                }
                catch (Exception ex)
                {
                    log.Warn($"could not lock the masquerade state: {ex.Message}");
                }
            }

            try
            {
                using var client = DaemonSession.Open(conf.Socket, deadline.Take(conf.DaemonWait < DelConnectBudget ? conf.DaemonWait : DelConnectBudget, spoolReserve), log, attempts: 1);
                var released = Ask<ReleaseResponse>(client, new ReleaseRequest { ContainerId = env.ContainerId, IfName = env.IfName, Network = conf.Name }, deadline.Take(conf.RequestTimeout, spoolReserve));
                if (released.Deferred)
                {
                    log.Warn($"yurtnetd keeps the release of {released.Released} lease(s) in memory: its store cannot be written now (yurtnetctl status)");
                }
                else
                {
                    log.Info($"released {released.Released} lease(s)");
                }

                if (released.NetworkIdle && conf.IpMasq && masqueradeLock is not null)
                {
                    RemoveMasquerade(deadline.Take(conf.DelTimeout));
                }
            }
            catch (Exception ex) when (ex is DaemonUnreachableException or CniException or IOException or InvalidDataException)
            {
                Spool(ex.Message);
            }
        }
        finally
        {
            masqueradeLock?.Dispose();
        }

        return [];
    }

    private void RemoveMasquerade(TimeSpan within)
    {
        try
        {
            if (_masquerade.RemoveIfInstalled(conf.Name, within))
            {
                log.Info("network has no lease left: masquerade removed");
            }
        }
        catch (Exception ex)
        {
            log.Warn($"could not remove masquerade: {ex.Message}");
        }
    }

    private void Spool(string reason)
    {
        try
        {
            var file = ReleaseSpool.Write(conf.SpoolDir, new SpooledRelease
            {
                ContainerId = env.ContainerId,
                IfName = env.IfName,
                Network = conf.Name,
                SpooledAt = DateTimeOffset.UtcNow,
            });
            log.Warn($"yurtnetd unavailable ({reason}); release spooled to {file}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CniException(new CniError(CniError.IoFailure,
                $"yurtnetd is unavailable ({reason}) and the release cannot be spooled to {conf.SpoolDir}: {ex.Message}",
                "free space or fix permissions of the spool directory; the runtime will retry DEL"));
        }
    }
}
