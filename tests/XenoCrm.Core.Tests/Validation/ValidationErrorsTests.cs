using XenoCrm.Core.Validation;

namespace XenoCrm.Core.Tests.Validation;

public sealed class ValidationErrorsTests
{
    [Fact]
    public void ByField_ListsEveryMistake_UnderItsField()
    {
        var errors = new ValidationErrors();
        errors.Add("items[3].email", "Must be a valid email address.");
        errors.Add("items[3].email", "Is required.");
        errors.Add("", "Must be a JSON object.");

        var byField = errors.ByField();

        Assert.Equal(["Must be a valid email address.", "Is required."], byField["items[3].email"]);
        Assert.Equal(["Must be a JSON object."], byField[ValidationErrors.Body]);
        Assert.Equal(3, errors.Count);
        Assert.True(errors.Has("items[3].email"));
        Assert.True(errors.Has(""));
    }

    [Fact]
    public void ByField_StaysBounded_AndCountsWhatItLeavesOut()
    {
        var errors = new ValidationErrors();
        for (var i = 0; i < 10_000; i++)
        {
            errors.Add(ValidationErrors.PathOf("", $"member{i}{new string('x', 100_000 / 1000)}"), "Unknown member.");
        }

        var byField = errors.ByField();

        Assert.Equal(10_000, errors.Count);
        Assert.Equal(ValidationErrors.MaxListed + 1, byField.Count);
        Assert.Contains("9950 more", byField[ValidationErrors.Body].Single(), StringComparison.Ordinal);
        Assert.All(byField.Keys, key => Assert.True(key.Length <= ValidationErrors.MaxNameLength + 1, key));
    }

    [Theory]
    [InlineData("", "email", "email")]
    [InlineData("$", "email", "email")]
    [InlineData("items[3]", "email", "items[3].email")]
    public void PathOf_NamesMembersLikeJsonPaths(string parent, string member, string expected) =>
        Assert.Equal(expected, ValidationErrors.PathOf(parent, member));

    [Fact]
    public void PathOf_CutsALongMadeUpName()
    {
        var path = ValidationErrors.PathOf("items[0]", new string('n', 100_000));
        Assert.Equal("items[0]." + new string('n', ValidationErrors.MaxNameLength) + "…", path);
    }
}
