using System.Text.Json.Serialization;

namespace Yurtnet.Protocol;

/// <summary>A response frame; <c>kind</c> names its shape. Failures are <see cref="ErrorResponse"/> frames, not dropped connections.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(ErrorResponse), "error")]
[JsonDerivedType(typeof(AllocateResponse), "allocated")]
[JsonDerivedType(typeof(CommitResponse), "committed")]
[JsonDerivedType(typeof(ReleaseResponse), "released")]
[JsonDerivedType(typeof(CheckResponse), "checked")]
[JsonDerivedType(typeof(StatusResponse), "status")]
[JsonDerivedType(typeof(GcResponse), "collected")]
[JsonDerivedType(typeof(LeasesResponse), "leases")]
[JsonDerivedType(typeof(ReclaimResponse), "reclaimed")]
[JsonDerivedType(typeof(LedTestResponse), "ledTested")]
[JsonDerivedType(typeof(PeersResponse), "peers")]
public abstract record Response
{
    /// <summary>Protocol version of the daemon.</summary>
    [JsonPropertyName("v")]
    public int Version { get; init; } = ProtocolVersion.Current;

    /// <summary>The request's id.</summary>
    public string Id { get; init; } = "";
}
