namespace Yurtnet.Protocol;

/// <summary>GC: release every lease of the network whose attachment is not listed.</summary>
public sealed record GcRequest : Request
{
    /// <summary>CNI network name.</summary>
    public required string Network { get; init; }

    /// <summary><c>cni.dev/valid-attachments</c>.</summary>
    public required IReadOnlyList<AttachmentRef> ValidAttachments { get; init; }

    /// <inheritdoc/>
    public override string? NullMember() => FirstNull("validAttachments", ValidAttachments);
}
