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

    /// <summary>
    /// The first member a sender left null where a value is required (a list's element: the reader's nullable checks
    /// stop at members), named as in the frame; null when there is none. The daemon refuses such a request.
    /// </summary>
    public virtual string? NullMember() => null;

    /// <summary>The name of <paramref name="list"/>'s first null element, or null.</summary>
    protected static string? FirstNull<T>(string name, IReadOnlyList<T>? list)
    {
        if (list is null)
        {
            return name;
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
            {
                return $"{name}[{i}]";
            }
        }

        return null;
    }

    /// <summary>The container this request is about, used to serialize requests per container; null for none.</summary>
    [JsonIgnore]
    public virtual string? SerializationKey => null;
}
