using System.Text.Json.Serialization;

namespace Yurtnet.Protocol;

/// <summary>Source-generated JSON for every frame and spool record (no reflection, AOT-safe).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowOutOfOrderMetadataProperties = true,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(Request))]
[JsonSerializable(typeof(Response))]
[JsonSerializable(typeof(SpooledRelease))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
