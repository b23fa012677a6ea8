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

    [Theory]
    [InlineData("abc")]
    [InlineData("a-very-long-container-id-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void A_file_being_written_is_never_taken_for_a_complete_one(string containerId)
    {
        var name = SpooledRelease.FileNameFor(containerId, "eth0");
        var temp = SpooledRelease.TempFileNameFor(name, 31337);

        Assert.True(SpooledRelease.IsSpoolFile(name));
        Assert.False(SpooledRelease.IsSpoolFile(temp));
        Assert.False(SpooledRelease.IsSpoolFile(".tmp-31337-" + name));
        Assert.False(SpooledRelease.IsSpoolFile(name + ".unreadable"));
        Assert.True(temp.Length < 255);
    }
}
