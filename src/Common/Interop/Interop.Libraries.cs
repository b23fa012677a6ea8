// Shared by every assembly that calls libc (linked into each, as dotnet/runtime's src/libraries/Common is):
// each assembly gets its own internal Interop class, and this is the one place that names the library.
internal static partial class Interop
{
    /// <summary>glibc, bound at link time by the NativeAOT builds (<c>DirectPInvoke</c>).</summary>
    internal const string Libc = "libc";
}
