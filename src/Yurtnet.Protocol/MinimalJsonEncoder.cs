using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Yurtnet.Protocol;

/// <summary>
/// Escapes what JSON requires (RFC 8259 §7: the quotation mark, the reverse solidus, the control characters) and
/// nothing else; other text, also non-ASCII, is written as UTF-8. For the plugin's short-lived writers.
/// </summary>
/// <remarks>
/// <see cref="Utf8JsonWriter"/> without an encoder still asks <see cref="JavaScriptEncoder.Default"/> whether a
/// string needs escaping. Its first use builds the tables of the default and the relaxed encoder for every
/// code point of the BMP: measured on the NativeAOT plugin, 4% of a VERSION exec. Nothing we write is embedded
/// in HTML, so the HTML-sensitive characters need no escaping either.
/// Unpaired surrogates are not valid Unicode: they are written as U+FFFD, as the built-in encoders do.
/// </remarks>
public sealed class MinimalJsonEncoder : JavaScriptEncoder
{
    /// <summary>The one instance; it has no state.</summary>
    public static MinimalJsonEncoder Instance { get; } = new();

    private MinimalJsonEncoder()
    {
    }

    /// <summary>Options for a writer that uses this encoder.</summary>
    public static JsonWriterOptions WriterOptions => new() { Encoder = Instance };

    /// <inheritdoc/>
    public override int MaxOutputCharactersPerInputCharacter => 6; // \uXXXX

    /// <inheritdoc/>
    public override bool WillEncode(int unicodeScalar) => NeedsEscape(unicodeScalar);

    /// <inheritdoc/>
    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength) =>
        FirstToEscape(new ReadOnlySpan<char>(text, textLength));

    /// <inheritdoc/>
    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        for (var i = 0; i < utf8Text.Length;)
        {
            var b = utf8Text[i];
            if (b < 0x80)
            {
                if (b < 0x20 || b == '"' || b == '\\')
                {
                    return i;
                }

                i++;
                continue;
            }

            if (Rune.DecodeFromUtf8(utf8Text[i..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return i; // ill-formed UTF-8: the writer's encoding replaces it
            }

            i += consumed;
        }

        return -1;
    }

    /// <inheritdoc/>
    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten) =>
        TryEscape(unicodeScalar, new Span<char>(buffer, bufferLength), out numberOfCharactersWritten);

    internal static int FirstToEscape(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x20 || c == '"' || c == '\\')
            {
                return i;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return i;
            }
        }

        return -1;
    }

    internal static bool TryEscape(int scalar, Span<char> destination, out int written)
    {
        if (!NeedsEscape(scalar))
        {
            // Asked to write a scalar we let through: as itself (one or two UTF-16 units).
            return new Rune(scalar).TryEncodeToUtf16(destination, out written);
        }

        if (!Rune.IsValid(scalar))
        {
            return TryEscape(Rune.ReplacementChar.Value, destination, out written);
        }

        ReadOnlySpan<char> escape = scalar switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\b' => "\\b",
            '\f' => "\\f",
            _ => default,
        };
        if (escape.IsEmpty)
        {
            return destination.TryWrite(CultureInfo.InvariantCulture, $"\\u{scalar:X4}", out written);
        }

        written = escape.TryCopyTo(destination) ? escape.Length : 0;
        return written > 0;
    }

    private static bool NeedsEscape(int scalar) => scalar is < 0x20 or '"' or '\\' || !Rune.IsValid(scalar);
}
