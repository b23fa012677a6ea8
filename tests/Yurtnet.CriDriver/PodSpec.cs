namespace Yurtnet.CriDriver;

/// <summary>A pod as kubelet names it to the runtime: namespace/name, its uid, and the sandbox attempt.</summary>
internal sealed record PodSpec(string Namespace, string Name, string Uid, uint Attempt)
{
    /// <summary>Pods <c>PREFIX-000</c> … of one namespace, each with a new uid.</summary>
    public static IReadOnlyList<PodSpec> Numbered(string @namespace, string prefix, int count, uint attempt) =>
        [.. Enumerable.Range(0, count).Select(i => new PodSpec(@namespace, $"{prefix}-{i:000}", Guid.NewGuid().ToString(), attempt))];
}
