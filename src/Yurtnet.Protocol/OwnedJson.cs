using System.Text.Json;

namespace Yurtnet.Protocol;

/// <summary>Parses a whole JSON text into an element that needs no disposal: for the plugin's and the CLI's one-shot readers.</summary>
/// <remarks>
/// The document is not disposed, on purpose. <see cref="JsonDocument"/> rents its buffers from the shared array pool,
/// and the second buffer a thread gives back into the same size class makes the pool set up its per-core stacks,
/// whose first use times the CPU-number lookup in a loop: measured on the NativeAOT plugin, about 0.3 ms of every
/// exec, more than parsing the configuration itself (<see cref="JsonElement.ParseValue"/> gives buffers back too).
/// A buffer that is not given back is an ordinary array to the garbage collector; no native memory is held. yurtnetd
/// decodes one answer through it per liveness probe (a few kilobytes of garbage a minute), which costs it nothing.
/// </remarks>
public static class OwnedJson
{
    /// <summary>The single JSON value of <paramref name="utf8"/>, as <see cref="JsonDocument.Parse(ReadOnlyMemory{byte}, JsonDocumentOptions)"/> reads it.</summary>
    /// <exception cref="JsonException">Not one well-formed JSON value (its line and byte position say where).</exception>
    public static JsonElement Parse(ReadOnlySpan<byte> utf8)
    {
#pragma warning disable CA2000 // the document outlives this method with its root element; see the remarks
        var document = JsonDocument.Parse(utf8.ToArray());
#pragma warning restore CA2000
        return document.RootElement;
    }
}
