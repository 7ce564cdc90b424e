using Automations.Features.Artifacts;
using Automations.Features.Automations;

namespace Automations.Tests.Features.AutomationsTab;

/// <summary>The trigger rule, as matching, the preview, saving and the wizard all use it.</summary>
public class TriggerTests
{
    private const string Link = ArtifactEventTypes.LinkArtifact;
    private const string Alias = ArtifactEventTypes.AddArtifactAlias;

    [Theory]
    [InlineData(Link, 7, null, Link, 7, null, true)]
    [InlineData(Link, 7, null, Link, 8, null, false)]
    [InlineData(Link, null, null, Link, 7, null, false)] // its collection was deleted: nothing matches
    [InlineData(Link, 7, null, Alias, 7, "production", false)]
    [InlineData(Alias, null, "prod.*", Alias, 3, "production", true)]
    [InlineData(Alias, 3, "prod.*", Alias, 4, "production", false)]
    [InlineData(Alias, null, "prod", Alias, 3, "production", false)] // the whole alias must match
    [InlineData(Alias, null, "(", Alias, 3, "(", false)] // an unusable pattern matches nothing
    public void Matches_follows_event_type_collection_and_the_whole_alias(string type, int? collection, string? pattern, string eventType, int eventCollection, string? alias, bool expected) =>
        Assert.Equal(expected, new Trigger(type, collection, pattern).Matches(eventType, eventCollection, alias));

    [Theory]
    [InlineData(Link, null, null, "collection")]
    [InlineData(Link, " ", null, "collection")]
    [InlineData(Link, "eval-set", "((", null)] // a pattern is not used by new-version triggers
    [InlineData(Alias, null, null, "aliasPattern")]
    [InlineData(Alias, null, "(a", "aliasPattern")]
    [InlineData(Alias, null, "(a)\\1", "aliasPattern")]
    [InlineData(Alias, null, " production ", null)]
    [InlineData("RUN_FINISHED", "eval-set", null, "eventType")]
    public void Check_names_the_field_at_fault(string type, string? collection, string? pattern, string? field) =>
        Assert.Equal(field, Trigger.Check(type, collection, pattern)?.Field);

    [Fact]
    public void Labels_say_what_triggers_the_automation()
    {
        Assert.Equal("New version in eval-set", Trigger.Label(Link, "eval-set", null));
        Assert.Equal("New version in (deleted collection)", Trigger.Label(Link, null, null));
        Assert.Equal("Alias matching /prod.*/ in model", Trigger.Label(Alias, "model", "prod.*"));
        Assert.Equal("Alias matching /prod.*/", Trigger.Label(Alias, null, "prod.*"));
    }
}
