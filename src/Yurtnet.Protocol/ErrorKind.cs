using System.Text.Json.Serialization;

namespace Yurtnet.Protocol;

/// <summary>Why a request failed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ErrorKind>))]
public enum ErrorKind
{
    /// <summary>Unexpected failure in the daemon; details are in its log.</summary>
    Internal,

    /// <summary>The frame's protocol version is not spoken by this daemon.</summary>
    UnsupportedVersion,

    /// <summary>The frame could not be parsed, or a member is invalid.</summary>
    InvalidRequest,

    /// <summary>The peer is not allowed to use the socket.</summary>
    PermissionDenied,

    /// <summary>Transient: the daemon is busy or not ready; try again.</summary>
    TryAgainLater,

    /// <summary>No address is free in a pool.</summary>
    PoolExhausted,

    /// <summary>No lease is known for the attachment.</summary>
    LeaseUnknown,
}
