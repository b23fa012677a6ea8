using System.Text.Json.Serialization;

namespace Yurtnet.Protocol;

/// <summary>A request frame. The <c>op</c> member names the operation; <c>v</c> and <c>id</c> are in every frame.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(AllocateRequest), "allocate")]
[JsonDerivedType(typeof(CommitRequest), "commit")]
[JsonDerivedType(typeof(ReleaseRequest), "release")]
[JsonDerivedType(typeof(CheckRequest), "check")]
[JsonDerivedType(typeof(StatusRequest), "status")]
[JsonDerivedType(typeof(GcRequest), "gc")]
[JsonDerivedType(typeof(LeasesRequest), "leases")]
[JsonDerivedType(typeof(ReclaimRequest), "reclaim")]
[JsonDerivedType(typeof(LedTestRequest), "ledTest")]
[JsonDerivedType(typeof(PeersRequest), "peers")]
public abstract record Request
{
    /// <summary>Protocol version of the sender (<see cref="ProtocolVersion.Current"/>).</summary>
    [JsonPropertyName("v")]
    public int Version { get; init; } = ProtocolVersion.Current;

    /// <summary>Request id chosen by the client, echoed in the response and in the daemon's logs.</summary>
    public string Id { get; init; } = "";

    /// <summary>The container this request is about, used to serialize requests per container; null for none.</summary>
    [JsonIgnore]
    public virtual string? SerializationKey => null;
}
