using System.Text.Json.Serialization;
using Yurtnet.Protocol;

namespace Yurtnet.Ctl;

/// <summary>Machine output of <c>yurtnetctl ... --json</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyList<LeaseInfo>))]
[JsonSerializable(typeof(IReadOnlyList<PeerInfo>))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(ReclaimResponse))]
internal sealed partial class CtlJsonContext : JsonSerializerContext;
