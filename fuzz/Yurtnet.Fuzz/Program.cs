using System.Text.Json;
using SharpFuzz;
using Yurtnet.Cni;
using Yurtnet.Protocol;

// make fuzz: AFL++ runs this once per target, feeding mutated inputs on stdin (persistent mode through SharpFuzz).
// Each target lets through only the outcome its caller expects for bad input (a CNI error, an InvalidDataException,
// a JsonException the daemon answers with InvalidRequest); anything else is a crash AFL keeps.
var targets = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
{
    // The plugin's stdin: every command, as the runtime would send it.
    ["conflist"] = input =>
    {
        foreach (var command in Enum.GetValues<CniCommand>())
        {
            try
            {
                _ = NetConfParser.Parse(input, command);
            }
            catch (CniException)
            {
            }
        }

        _ = NetConfParser.PeekVersion(input);
    },

    // CNI_ARGS, as containerd, CRI-O and podman pass it.
    ["cni-args"] = input => _ = CniArgs.TryParse(System.Text.Encoding.UTF8.GetString(input), out _, out _),

    // A frame stream from a peer of the daemon's socket.
    ["frame"] = input =>
    {
        try
        {
            using var stream = new MemoryStream(input);
            while (FrameCodec.Read(stream, 4096) is not null)
            {
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
        }
    },

    // The daemon's request decoder (ProtocolJsonContext), after the frame is in.
    ["request"] = input =>
    {
        try
        {
            _ = JsonSerializer.Deserialize(input, ProtocolJsonContext.Default.Request);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
        }
    },

    // The plugin's reader of the daemon's answers.
    ["response"] = input =>
    {
        try
        {
            _ = ClientFrameJson.Decode(input);
        }
        catch (InvalidDataException)
        {
        }
    },
};

if (args.Length != 1 || !targets.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Yurtnet.Fuzz {string.Join('|', targets.Keys)}   (run by make fuzz under afl-fuzz)");
    return 2;
}

Fuzzer.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
