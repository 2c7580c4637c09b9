using System.Text.Json;
using Microsoft.Extensions.Options;
using XenoCrm.Core.Segments;
using XenoCrm.Core.Validation;

namespace XenoCrm.Core.Tests.Segments;

/// <summary>The one validation of a segment draft, which the API and the pages both answer with.</summary>
public sealed class SegmentCommandsTests
{
    // Validation reads no data: the commands are made without a database.
    private static readonly SegmentCommands Commands = new(null!, new AudienceQuery(null!, TimeProvider.System, Options.Create(new SegmentOptions())), TimeProvider.System);

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    [Fact]
    public void Validate_TrimsTheName_AndParsesTheTree()
    {
        var (name, tree, errors) = Commands.Validate(new(" Pune ", Json("""{"op":"and","rules":[{"field":"city","operator":"equals","value":"Pune"}]}""")));

        Assert.False(errors.Any);
        Assert.Equal("Pune", name);
        Assert.NotNull(tree);
    }

    [Fact]
    public void Validate_NamesTheNameAndEveryRuleMistake_AtOnce()
    {
        var (_, tree, errors) = Commands.Validate(new("   ", Json("""{"op":"and","rules":[{"field":"city","operator":"gt","value":1},{"op":"or","rules":[]}]}""")));
        var byField = new ValidationErrors();
        errors.AddTo(byField);

        Assert.Null(tree);
        Assert.Contains("1 to 100", errors.Name, StringComparison.Ordinal);
        Assert.Equal(["name", "rules: group 2", "rules: rule 1"], byField.ByField().Keys.Order());
    }

    [Fact]
    public void Validate_RequiresANameAndATree()
    {
        var (_, _, errors) = Commands.Validate(new(null, null));
        var byField = new ValidationErrors();
        errors.AddTo(byField);

        Assert.StartsWith("Required", byField.ByField()["name"].Single(), StringComparison.Ordinal);
        Assert.StartsWith("Required", byField.ByField()["rules"].Single(), StringComparison.Ordinal);
    }
}
