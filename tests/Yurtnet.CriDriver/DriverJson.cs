using System.Text.Json.Serialization;

namespace Yurtnet.CriDriver;

/// <summary>One line of <c>run</c>: a sandbox that is ready, with what the runtime says of it.</summary>
internal sealed record PodLine(string Namespace, string Name, string Uid, uint Attempt, string Id, string Ip, string Netns, double RunMs);

/// <summary>One line of <c>list</c>.</summary>
internal sealed record SandboxLine(string Namespace, string Name, string Uid, uint Attempt, string Id, string State);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PodLine))]
[JsonSerializable(typeof(SandboxLine))]
internal sealed partial class DriverJson : JsonSerializerContext;
