using Yurtnet.Cni;

// The yurtnet CNI plugin: exec'd by the container runtime for every pod sandbox (and every few seconds for
// STATUS). stdout carries exactly one JSON document, the result or the error; logs go to stderr.
// Descriptors 0, 1 and 2 through read(2) and write(2) (StandardStream), not Console: its writers initialize terminal
// and encoding support, which measured as most of this process's own start-up time, and even its raw streams start a
// signal-handling thread at their first write. Nothing here is interactive.
using var stdout = new StandardStream(1, FileAccess.Write);
using var stderr = new StreamWriter(new StandardStream(2, FileAccess.Write), new System.Text.UTF8Encoding(false)) { AutoFlush = true };
var version = CniVersion.Latest;
try
{
    if (!CniEnvironment.TryRead(Environment.GetEnvironmentVariable, out var env, out var envError))
    {
        stdout.Write(ResultJson.WriteError(envError, version));
        return 1;
    }

    var stdin = ReadStdin();
    if (NetConfParser.PeekVersion(stdin) is { } declared)
    {
        if (env.Command == CniCommand.Version)
        {
            stdout.Write(ResultJson.WriteVersion(declared));
            return 0;
        }

        version = CniVersion.IsSupported(declared) ? declared : version;
    }
    else if (env.Command == CniCommand.Version)
    {
        stdout.Write(ResultJson.WriteVersion(CniVersion.Latest));
        return 0;
    }

    // Connected before the configuration is parsed: yurtnetd's accept (a thread woken from idle) overlaps our own work.
    // Only an accept that is immediate counts here; the verb connects within its own budget otherwise. Not for DEL: it
    // talks to yurtnetd only after the teardown, and connects then.
    var socket = env.Command is CniCommand.Add or CniCommand.Check or CniCommand.Status or CniCommand.Gc ? NetConfParser.PeekSocket(stdin) : null;
    using var connected = socket is null ? null : Yurtnet.Protocol.DaemonClient.TryConnectNow(socket);
    var conf = NetConfParser.Parse(stdin, env.Command);
    var output = new Plugin(env, conf, new PluginLog(env, stderr), conf.Socket == socket ? connected : null).Run();
    stdout.Write(output);
    return 0;
}
catch (CniException ex)
{
    stderr.WriteLine($"yurtnet[{Environment.ProcessId}] error code={ex.Error.Code} {ex.Error.Msg}");
    stdout.Write(ResultJson.WriteError(ex.Error, version));
    return 1;
}
catch (Exception ex)
{
    // Unexpected: report the message, never a stack trace, on stdout; the type goes to the log.
    stderr.WriteLine($"yurtnet[{Environment.ProcessId}] error unexpected {ex.GetType().Name}: {ex.Message}");
    stdout.Write(ResultJson.WriteError(new CniError(CniError.Internal, ex.Message, ex.GetType().Name), version));
    return 1;
}

static byte[] ReadStdin()
{
    // Not Stream.CopyTo: it rents an 80 KiB buffer, a large-object allocation, for a configuration of a few hundred bytes.
    using var input = new StandardStream(0, FileAccess.Read);
    var buffer = new byte[4096];
    var length = 0;
    int read;
    while ((read = input.Read(buffer, length, buffer.Length - length)) > 0)
    {
        length += read;
        if (length == buffer.Length)
        {
            Array.Resize(ref buffer, buffer.Length * 2);
        }
    }

    return buffer[..length];
}
