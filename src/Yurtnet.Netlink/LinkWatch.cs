namespace Yurtnet.Netlink;

/// <summary>
/// Follows one network interface through the kernel's link notifications (RTMGRP_LINK): no polling. The
/// subscription is opened before the first query, so no change between the two is missed.
/// </summary>
public sealed class LinkWatch : IDisposable
{
    private readonly NetlinkSocket _events;
    private readonly NetlinkSocket _queries;

    private LinkWatch(string interfaceName, NetlinkSocket events, NetlinkSocket queries)
    {
        InterfaceName = interfaceName;
        _events = events;
        _queries = queries;
    }

    /// <summary>The interface followed.</summary>
    public string InterfaceName { get; }

    /// <summary>Starts following <paramref name="interfaceName"/> in the calling thread's network namespace.</summary>
    public static LinkWatch Open(string interfaceName)
    {
        var events = NetlinkSocket.Open("host", Interop.RTMGRP_LINK);
        try
        {
            return new LinkWatch(interfaceName, events, NetlinkSocket.Open());
        }
        catch
        {
            events.Dispose();
            throw;
        }
    }

    /// <summary>The interface now, or null when it does not exist.</summary>
    public LinkInfo? Current() => _queries.TryGetLink(InterfaceName, out var link) ? link : null;

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for a notification about the interface. Returns true when one came;
    /// <paramref name="link"/> is its new state, or null when it was deleted.
    /// </summary>
    public bool TryWaitForChange(TimeSpan timeout, out LinkInfo? link)
    {
        link = null;
        var changed = false;
        foreach (var (type, payload) in _events.ReceiveNotifications(timeout))
        {
            if (type is not (Interop.RTM_NEWLINK or Interop.RTM_DELLINK))
            {
                continue;
            }

            var info = Rtnetlink.ParseLink(payload);
            if (info.Name != InterfaceName)
            {
                continue;
            }

            changed = true;
            link = type == Interop.RTM_DELLINK ? null : info;
        }

        return changed;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _events.Dispose();
        _queries.Dispose();
    }
}
