namespace Yurtnet.Netlink;

/// <summary>A network interface as RTM_GETLINK reports it.</summary>
public sealed record LinkInfo
{
    /// <summary>Interface index.</summary>
    public required int Index { get; init; }

    /// <summary>Interface name.</summary>
    public required string Name { get; init; }

    /// <summary>IFF_* flags.</summary>
    public required uint Flags { get; init; }

    /// <summary>MTU.</summary>
    public required int Mtu { get; init; }

    /// <summary>MAC address, lower-case colon form, or null.</summary>
    public string? Mac { get; init; }

    /// <summary>Index of the bridge it is attached to, or 0.</summary>
    public int MasterIndex { get; init; }

    /// <summary>Link kind (<c>bridge</c>, <c>veth</c>, ...), or null for a physical device.</summary>
    public string? Kind { get; init; }

    /// <summary>
    /// For a veth whose peer is in another network namespace: that namespace's id as this one knows it
    /// (<c>IFLA_LINK_NETNSID</c>), or null.
    /// </summary>
    public int? PeerNetnsId { get; init; }

    /// <summary>The peer's interface index (<c>IFLA_LINK</c>; in <see cref="PeerNetnsId"/> when set), or 0.</summary>
    public int PeerIndex { get; init; }

    /// <summary>A VXLAN device's tunnel settings, or null for other kinds.</summary>
    public VxlanInfo? Vxlan { get; init; }

    /// <summary>True when administratively up.</summary>
    public bool IsUp => (Flags & Interop.IFF_UP) != 0;

    /// <summary>True when the link has carrier (IFF_LOWER_UP: cable in, peer up).</summary>
    public bool HasCarrier => (Flags & Interop.IFF_LOWER_UP) != 0;
}
