using XenoCrm.Core.ApiKeys;

namespace XenoCrm.Core.Tests.ApiKeys;

public sealed class ApiKeySecretTests
{
    [Fact]
    public void Generate_GivesAKeyWhosePrefixFindsItAndWhoseHashMatchesIt()
    {
        var (key, prefix, hash) = ApiKeySecret.Generate();

        Assert.True(ApiKeySecret.TryGetPrefix(key, out var parsed));
        Assert.Equal(prefix, parsed);
        Assert.True(ApiKeySecret.Matches(key, hash));
        Assert.DoesNotContain(key, Convert.ToBase64String(hash), StringComparison.Ordinal);
    }

    [Fact]
    public void Matches_IsFalse_ForAKeyChangedInOneCharacter()
    {
        var (key, _, hash) = ApiKeySecret.Generate();
        var tampered = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');

        Assert.False(ApiKeySecret.Matches(tampered, hash));
    }

    [Theory]
    [InlineData("")]
    [InlineData("xcrm_")]
    [InlineData("bearer_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("xcrm_short_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void TryGetPrefix_RefusesMalformedKeys(string key) => Assert.False(ApiKeySecret.TryGetPrefix(key, out _));
}
