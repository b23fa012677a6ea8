namespace Yurtnet.Protocol.Tests;

public sealed class SpooledReleaseTests
{
    [Fact]
    public void File_name_is_derived_from_the_attachment_so_repeated_dels_coalesce()
    {
        Assert.Equal(SpooledRelease.FileNameFor("abc", "eth0"), SpooledRelease.FileNameFor("abc", "eth0"));
        Assert.NotEqual(SpooledRelease.FileNameFor("abc", "eth0"), SpooledRelease.FileNameFor("abc", "eth1"));
        Assert.EndsWith(SpooledRelease.FileSuffix, SpooledRelease.FileNameFor("abc", "eth0"), StringComparison.Ordinal);
    }

    [Fact]
    public void Very_long_container_id_still_gives_a_valid_file_name()
    {
        var name = SpooledRelease.FileNameFor(new string('a', 400), "eth0");

        Assert.True(name.Length < 255);
        Assert.DoesNotContain('/', name);
    }
}
