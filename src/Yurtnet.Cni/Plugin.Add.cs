using Yurtnet.Protocol;

namespace Yurtnet.Cni;

internal sealed partial class Plugin
{
    /// <summary>
    /// ADD: allocate (pending lease), plumb the netns, install masquerade if the rule set must change, commit. The veth
    /// pair is made while yurtnetd allocates (the answer waits for its disk; the pair for the kernel), and gets its
    /// addresses once they are known. Any failure after the allocation removes what this ADD created and releases the
    /// addresses.
    /// </summary>
    private byte[] Add()
    {
        RequireNetns();
        var wanted = AttachmentRequest.From(conf, env.Args);
        using var client = Connect(conf.DaemonWait, CniError.TryAgainLater);
        var request = new AllocateRequest
        {
            ContainerId = env.ContainerId,
            IfName = env.IfName,
            Network = conf.Name,
            Netns = env.Netns,
            Pod = Pod,
            Subnets = conf.Subnets.Select(s => s.ToString()).ToList(),
            RequestedIps = wanted.Ips.Select(ip => ip.ToString()).ToList(),
            RequestedFrom = wanted.IpsFrom,
            RequestedMac = wanted.Mac,
            PodAnnotationsPassed = conf.PodAnnotationsPassed,
        };
        Post(client, request, conf.RequestTimeout);
        var (pending, notPlumbed) = BeginAttachment();
        AllocateResponse allocation;
        try
        {
            allocation = Receive<AllocateResponse>(client, request);
        }
        catch
        {
            // Refused, or no answer: the pair made meanwhile goes; the daemon frees a lease it may have made for a
            // client that leaves without committing.
            if (notPlumbed is not null)
            {
                log.Warn($"the veth pair could not be made either: {notPlumbed.Message}");
            }

            if (pending is not null)
            {
                Undo(pending);
                pending.Dispose();
            }

            throw;
        }

        var addresses = allocation.Addresses.Select(PodAddress.From).ToList();
        log.Info($"allocated {string.Join(", ", allocation.Addresses.Select(a => a.Address))}{(allocation.Existing ? " (existing)" : "")}");
        if (pending is null)
        {
            if (!allocation.Existing)
            {
                log.Error($"ADD failed after allocation, rolling back: {notPlumbed!.Message}");
                RollBack(client);
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(notPlumbed!);
        }

        PodPlumbing.Plumbed plumbed;
        using (pending)
        {
            try
            {
                var mtu = conf.PodMtu(allocation.Mtu, addresses.Any(a => a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6), out var raised);
                if (raised)
                {
                    log.Warn($"yurtnetd's MTU hint {allocation.Mtu} (the NodePool tunnel's) is below the minimum for the pod's addresses: the pod gets {mtu}; large packets to tunnelled peers rely on path MTU discovery");
                }

                plumbed = pending.Complete(conf, addresses, mtu, wanted.Mac);
                var masqueradeSubnets = MasqueradeSubnets(addresses.Select(a => a.Pool));
                if (conf.IpMasq && EnsureMasquerade(masqueradeSubnets))
                {
                    log.Warn("the network's masquerade chain was gone (nft flush ruleset?): installed again");
                }

                Ask<CommitResponse>(client, new CommitRequest
                {
                    ContainerId = env.ContainerId,
                    IfName = env.IfName,
                    Network = conf.Name,
                    HostVeth = plumbed.HostVeth.Name,
                    Mac = plumbed.PodLink.Mac,
                    Host = new NetworkHost
                    {
                        Bridge = conf.Bridge,
                        IsGateway = conf.IsGateway,
                        Mtu = mtu,
                        IpMasq = conf.IpMasq,
                        MasqueradeSubnets = conf.IpMasq ? masqueradeSubnets.Select(s => s.ToString()).ToList() : [],
                    },
                });
            }
            catch (Exception ex) when (!allocation.Existing)
            {
                log.Error($"ADD failed after allocation, rolling back: {ex.Message}");
                // What this ADD put on the pod goes before the lease: the address is never on a pod and free at once.
                Undo(pending);
                RollBack(client);
                throw;
            }
        }

        var result = new CniResult
        {
            Interfaces =
            [
                new ResultInterface(plumbed.Bridge.Name, plumbed.Bridge.Mac),
                new ResultInterface(plumbed.HostVeth.Name, plumbed.HostVeth.Mac),
                new ResultInterface(plumbed.PodLink.Name, plumbed.PodLink.Mac, plumbed.PodLink.Mtu, env.Netns),
            ],
            Ips = addresses.Select(a => new ResultIp(a.Address, a.PrefixLength, conf.IsGateway ? a.Gateway : null, 2)).ToList(),
            Routes = [.. plumbed.Routes],
            DnsJson = conf.DnsJson,
        };
        log.Info($"attached {plumbed.PodLink.Name} ({plumbed.PodLink.Mac}) via {plumbed.HostVeth.Name} to {plumbed.Bridge.Name}");
        if (plumbed.RoutesTaken.Count > 0)
        {
            log.Warn($"the pod's namespace already routes {string.Join(", ", plumbed.RoutesTaken.Select(r => r.Destination))} through another interface (another network's): not installed on {plumbed.PodLink.Name}, not in the result");
        }

        if (plumbed.BridgeCreated)
        {
            ReattachOtherPods(client);
        }

        return ResultJson.Write(result, conf.CniVersion);
    }

    /// <summary>
    /// The bridge had to be made: if it was deleted under running pods (not at first use), their host veths hang loose.
    /// The daemon's leases name them; put them back. Best effort: the ADD itself has succeeded.
    /// </summary>
    private void ReattachOtherPods(DaemonSession client)
    {
        try
        {
            var leases = client.Send(new LeasesRequest(), conf.RequestTimeout) as LeasesResponse;
            var others = (leases?.Leases ?? []).Where(l => l.Network == conf.Name && l.State == "active" && l.ContainerId != env.ContainerId)
                .Select(l => HostVethName.For(l.ContainerId, l.IfName)).Distinct().ToList();
            if (others.Count > 0 && PodPlumbing.ReattachPorts(conf, others) is { Count: > 0 } reattached)
            {
                log.Warn($"bridge {conf.Bridge} was gone and was made again: {reattached.Count} other pod(s) attached again ({string.Join(", ", reattached)})");
            }
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or InvalidDataException or Yurtnet.Netlink.NetlinkException or DaemonUnreachableException)
        {
            log.Warn($"bridge {conf.Bridge} was made again; the other pods' ports could not be checked: {ex.Message}");
        }
    }

    /// <summary>
    /// <see cref="PodPlumbing.Begin"/> with the MTU known before yurtnetd's answer (the conflist's, or the default);
    /// its failure is kept, to be reported once the allocation it raced with is undone.
    /// </summary>
    private (PodPlumbing.PendingAttachment? Pending, Exception? Failure) BeginAttachment()
    {
        try
        {
            return (PodPlumbing.Begin(conf, env, conf.Mtu ?? NetConf.DefaultMtu), null);
        }
        catch (Exception ex)
        {
            return (null, ex);
        }
    }

    private void Undo(PodPlumbing.PendingAttachment pending)
    {
        try
        {
            log.Info($"rollback: {pending.Undo()}");
        }
        catch (Yurtnet.Netlink.NetlinkException ex)
        {
            log.Warn($"rollback: could not take back what this ADD put on the pod: {ex.Message}; the runtime's DEL removes the veth");
        }
    }

    private void RollBack(DaemonSession client)
    {
        try
        {
            client.Send(new ReleaseRequest { ContainerId = env.ContainerId, IfName = env.IfName, Network = conf.Name, Rollback = true }, conf.RequestTimeout);
        }
        catch (Exception ex)
        {
            // The lease stays pending; yurtnetd reclaims pending leases that are never committed.
            log.Warn($"rollback: could not release the addresses ({ex.Message}); yurtnetd will reclaim the pending lease");
        }
    }
}
