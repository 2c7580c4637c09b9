using XenoCrm.Core.Sessions;

namespace XenoCrm.Core.Tests.Sessions;

public sealed class CrmRolesTests
{
    private static readonly string[] Admins = ["lead@shop.test"];
    private static readonly string[] Marketers = ["mia@shop.test", "lead@shop.test"];
    private static readonly string[] Viewers = ["vic@shop.test", "mia@shop.test", "lead@shop.test"];

    [Theory]
    [InlineData("lead@shop.test", CrmRole.Admin)]
    [InlineData("mia@shop.test", CrmRole.Marketer)]
    [InlineData("vic@shop.test", CrmRole.Viewer)]
    [InlineData("nobody@shop.test", CrmRole.Viewer)]
    public void Resolve_GivesTheMostPowerfulListThePersonIsOn_ElseTheDefault(string email, CrmRole expected) =>
        Assert.Equal(expected, CrmRoles.Resolve(email, Admins, Marketers, Viewers, CrmRole.Viewer));

    [Fact]
    public void Resolve_GivesTheDefault_ToSomeoneOnNoList() =>
        Assert.Equal(CrmRole.Marketer, CrmRoles.Resolve("new@shop.test", Admins, Marketers, Viewers, CrmRole.Marketer));

    [Fact]
    public void Resolve_IgnoresCaseAndSurroundingSpace() =>
        Assert.Equal(CrmRole.Admin, CrmRoles.Resolve("  LEAD@Shop.Test ", Admins, [], [], CrmRole.Viewer));

    [Fact]
    public void Resolve_TakesNoPowerAway_WhenAnAdminIsAlsoListedAsViewer() =>
        Assert.Equal(CrmRole.Admin, CrmRoles.Resolve("lead@shop.test", Admins, [], ["lead@shop.test"], CrmRole.Viewer));

    [Theory]
    [InlineData("admin", CrmRole.Admin)]
    [InlineData("Marketer", CrmRole.Marketer)]
    [InlineData(" viewer ", CrmRole.Viewer)]
    public void TryParse_ReadsEachRoleName(string name, CrmRole expected)
    {
        Assert.True(CrmRoles.TryParse(name, out var role));
        Assert.Equal(expected, role);
        Assert.Equal(expected, CrmRoles.TryParse(expected.Name(), out var back) ? back : (CrmRole?)null);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("owner")]
    [InlineData("administrator")]
    public void TryParse_RefusesAnythingElse(string? name) => Assert.False(CrmRoles.TryParse(name, out _));
}
