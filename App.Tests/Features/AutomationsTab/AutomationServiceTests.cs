using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Secrets;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Tests.Features.AutomationsTab;

public class AutomationServiceTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private int _webhookId;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _services.Resolver.Map("hooks.example.com", "93.184.216.34");
        _team = await _services.CreateTeamAsync();
        var artifacts = _services.Get<ArtifactService>();
        await artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "vision", null);
        await artifacts.CreateCollectionAsync(_team.Admin, _team.Slug, "vision", "eval-set", "dataset", null);
        await artifacts.CreateCollectionAsync(_team.Admin, _team.Slug, "vision", "train-set", "dataset", null);
        _webhookId = (await _services.Get<WebhookService>().CreateAsync(_team.Admin, _team.Slug, new WebhookInput("CI", "https://hooks.example.com/ci", null, null))).Id;
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private AutomationService Automations => _services.Get<AutomationService>();

    private AutomationInput LinkInput(string name = "On new eval set", string collection = "eval-set") =>
        new(name, "d", ArtifactEventTypes.LinkArtifact, collection, null, ActionTypes.Webhook, _webhookId, PayloadPresets.Default.Template);

    private AutomationInput AliasInput(string pattern, string? collection = null, string name = "On alias") =>
        new(name, null, ArtifactEventTypes.AddArtifactAlias, collection, pattern, ActionTypes.Webhook, _webhookId, PayloadPresets.Default.Template);

    private async Task<List<string>> MatchingNamesAsync(long eventId)
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var e = await db.ArtifactEvents.SingleAsync(x => x.Id == eventId);
        return (await AutomationMatcher.MatchAsync(db, e, default)).Select(a => a.Name).Order().ToList();
    }

    private async Task<long> LastEventIdAsync(string type)
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        return await db.ArtifactEvents.Where(e => e.Type == type).MaxAsync(e => e.Id);
    }

    [Fact]
    public async Task Member_creates_edits_disables_and_deletes_an_automation()
    {
        var created = await Automations.CreateAsync(_team.Member, _team.Slug, "vision", LinkInput());
        Assert.Equal(("eval-set", "CI", true), (created.Summary.Collection, created.Summary.ActionName, created.Summary.Enabled));

        await Automations.UpdateAsync(_team.Member, _team.Slug, "vision", created.Summary.Id, LinkInput("Renamed", "train-set"));
        await Automations.SetEnabledAsync(_team.Member, _team.Slug, "vision", created.Summary.Id, false);
        var listed = Assert.Single(await Automations.ListAsync(_team.Admin, _team.Slug, "vision"));
        Assert.Equal(("Renamed", "train-set", false), (listed.Name, listed.Collection, listed.Enabled));

        await Automations.DeleteAsync(_team.Member, _team.Slug, "vision", created.Summary.Id);
        Assert.Empty(await Automations.ListAsync(_team.Admin, _team.Slug, "vision"));
        await Assert.ThrowsAsync<NotFoundException>(() => Automations.GetAsync(_team.Member, _team.Slug, "vision", created.Summary.Id));
        // The name is free again once deleted.
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", LinkInput("Renamed"));
    }

    [Fact]
    public async Task Outsider_gets_not_found()
    {
        var created = await Automations.CreateAsync(_team.Member, _team.Slug, "vision", LinkInput());

        await Assert.ThrowsAsync<NotFoundException>(() => Automations.ListAsync(_team.Outsider, _team.Slug, "vision"));
        await Assert.ThrowsAsync<NotFoundException>(() => Automations.CreateAsync(_team.Outsider, _team.Slug, "vision", LinkInput("x")));
        await Assert.ThrowsAsync<NotFoundException>(() => Automations.DeleteAsync(_team.Outsider, _team.Slug, "vision", created.Summary.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => Automations.PreviewAsync(_team.Outsider, _team.Slug, "vision", ArtifactEventTypes.LinkArtifact, null, null, "{}"));
    }

    public static TheoryData<string, AutomationInput> BadInputs => new()
    {
        { "name", new("", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, 1, "{}") },
        { "eventType", new("x", null, "DELETE_ARTIFACT", "eval-set", null, ActionTypes.Webhook, 1, "{}") },
        { "collection", new("x", null, ArtifactEventTypes.LinkArtifact, null, null, ActionTypes.Webhook, 1, "{}") },
        { "collection", new("x", null, ArtifactEventTypes.LinkArtifact, "no-such", null, ActionTypes.Webhook, 1, "{}") },
        { "aliasPattern", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "(unclosed", ActionTypes.Webhook, 1, "{}") },
        { "aliasPattern", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "", ActionTypes.Webhook, 1, "{}") },
        { "aliasPattern", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "(a)\\1", ActionTypes.Webhook, 1, "{}") },
        { "aliasPattern", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "(?=prod)\\w+", ActionTypes.Webhook, 1, "{}") },
        { "aliasPattern", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "(?>a+)b", ActionTypes.Webhook, 1, "{}") },
        { "aliasPattern", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, new string('a', 201), ActionTypes.Webhook, 1, "{}") },
        { "name", new("bad\ud800name", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, 1, "{}") },
        { "name", new("nul\0name", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, 1, "{}") },
        { "payloadTemplate", new("x", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, 1, "{\"a\": \"\\ud800\"}") },
        { "webhookId", new("x", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, 999, "{}") },
        { "payloadTemplate", new("x", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, 1, "{\"a\": }") },
        { "payloadTemplate", new("x", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, 1, "{\"a\": \"${nope}\"}") },
        { "actionType", new("x", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, "email", 1, "{}") },
        { "job", new("x", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Job, null, null, Job: "no-such-job", Queue: "gpu") },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_names_the_field_and_writes_nothing(string field, AutomationInput input)
    {
        var ex = await Assert.ThrowsAsync<InputException>(() => Automations.CreateAsync(_team.Member, _team.Slug, "vision", input with { WebhookId = input.WebhookId == 1 ? _webhookId : input.WebhookId }));

        Assert.Equal(field, ex.Field);
        Assert.Empty(await Automations.ListAsync(_team.Member, _team.Slug, "vision"));
    }

    [Fact]
    public async Task Webhook_of_another_team_cannot_be_used()
    {
        _services.Resolver.Map("other.example.com", "93.184.216.35");
        var foreign = await _services.Get<WebhookService>().CreateAsync(_team.Outsider, $"{_team.Slug}-other", new WebhookInput("Theirs", "https://other.example.com/", null, null));

        var ex = await Assert.ThrowsAsync<InputException>(() => Automations.CreateAsync(_team.Member, _team.Slug, "vision", LinkInput() with { WebhookId = foreign.Id }));

        Assert.Equal("webhookId", ex.Field);
    }

    [Fact]
    public async Task A_deleted_webhook_shows_its_automations_as_broken_with_its_name()
    {
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", LinkInput());

        await _services.Get<WebhookService>().DeleteAsync(_team.Admin, _team.Slug, _webhookId);

        var listed = Assert.Single(await Automations.ListAsync(_team.Member, _team.Slug, "vision"));
        Assert.Contains("webhook 'CI' was deleted", listed.Problem);
        Assert.Equal("CI", listed.ActionName);
    }

    [Fact]
    public async Task A_deleted_secret_shows_the_automation_as_broken()
    {
        await _services.Get<SecretService>().CreateAsync(_team.Admin, _team.Slug, "TOKEN", "v");
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", LinkInput() with { PayloadTemplate = "{\"t\": \"${TOKEN}\"}" });

        await _services.Get<SecretService>().DeleteAsync(_team.Admin, _team.Slug, "TOKEN");

        Assert.Contains("${TOKEN}", Assert.Single(await Automations.ListAsync(_team.Member, _team.Slug, "vision")).Problem);
    }

    [Fact]
    public async Task Matching_uses_event_type_collection_and_the_whole_alias()
    {
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", LinkInput("link-eval"));
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", LinkInput("link-train", "train-set"));
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", AliasInput("production", name: "alias-prod"));
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", AliasInput("test-set-.*", name: "alias-test"));
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", AliasInput(".*", "train-set", name: "alias-any-train"));
        var disabled = await Automations.CreateAsync(_team.Member, _team.Slug, "vision", LinkInput("link-eval-disabled"));
        await Automations.SetEnabledAsync(_team.Member, _team.Slug, "vision", disabled.Summary.Id, false);
        var deleted = await Automations.CreateAsync(_team.Member, _team.Slug, "vision", LinkInput("link-eval-deleted"));
        await Automations.DeleteAsync(_team.Member, _team.Slug, "vision", deleted.Summary.Id);
        var artifacts = _services.Get<ArtifactService>();

        await artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", new LogVersionRequest());
        Assert.Equal(["link-eval"], await MatchingNamesAsync(await LastEventIdAsync(ArtifactEventTypes.LinkArtifact)));

        await artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0", "production");
        Assert.Equal(["alias-prod"], await MatchingNamesAsync(await LastEventIdAsync(ArtifactEventTypes.AddArtifactAlias)));

        await artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0", "production-old");
        Assert.Empty(await MatchingNamesAsync(await LastEventIdAsync(ArtifactEventTypes.AddArtifactAlias)));

        await artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0", "test-set-quality-check");
        Assert.Equal(["alias-test"], await MatchingNamesAsync(await LastEventIdAsync(ArtifactEventTypes.AddArtifactAlias)));

        await artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "train-set", new LogVersionRequest());
        Assert.Equal(["alias-any-train"], await MatchingNamesAsync(await LastEventIdAsync(ArtifactEventTypes.AddArtifactAlias)));
        Assert.Equal(["link-train"], await MatchingNamesAsync(await LastEventIdAsync(ArtifactEventTypes.LinkArtifact)));
    }

    [Fact]
    public void A_pattern_error_names_the_problem_without_the_parsers_wrapper()
    {
        var error = AutomationMatcher.PatternError("prod(");

        Assert.Equal("The alias pattern is not a valid regular expression: a '(' is not closed (near character 5).", error);
    }

    [Fact]
    public async Task Too_many_aliases_on_a_version_are_refused_naming_the_field()
    {
        var artifacts = _services.Get<ArtifactService>();
        var tooMany = Enumerable.Range(0, ArtifactRules.MaxAliasesPerVersion).Select(i => $"tag-{i}").ToList();

        var ex = await Assert.ThrowsAsync<InputException>(() => artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", new LogVersionRequest(Aliases: tooMany)));
        Assert.Equal("aliases", ex.Field);

        await artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", new LogVersionRequest(Aliases: tooMany[1..]));
        var full = await Assert.ThrowsAsync<InputException>(() => artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0", "one-more"));
        Assert.Equal("alias", full.Field);
        Assert.Equal(ArtifactRules.MaxAliasesPerVersion, (await artifacts.GetVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0")).Aliases.Count);
    }

    [Fact]
    public async Task A_project_holds_at_most_the_configured_number_of_automations()
    {
        await using var services = await TestServices.CreateAsync(new() { ["Automations:MaxPerProject"] = "2" });
        services.Resolver.Map("hooks.example.com", "93.184.216.34");
        var team = await services.CreateTeamAsync();
        await services.Get<ArtifactService>().CreateProjectAsync(team.Admin, team.Slug, "vision", null);
        await services.Get<ArtifactService>().CreateCollectionAsync(team.Admin, team.Slug, "vision", "eval-set", "dataset", null);
        var hook = await services.Get<WebhookService>().CreateAsync(team.Admin, team.Slug, new WebhookInput("CI", "https://hooks.example.com/ci", null, null));
        var automations = services.Get<AutomationService>();
        AutomationInput Input(string name) => LinkInput(name) with { WebhookId = hook.Id };
        await automations.CreateAsync(team.Member, team.Slug, "vision", Input("one"));
        var second = await automations.CreateAsync(team.Member, team.Slug, "vision", Input("two"));

        var ex = await Assert.ThrowsAsync<InputException>(() => automations.CreateAsync(team.Member, team.Slug, "vision", Input("three")));
        Assert.Equal("project", ex.Field);

        await automations.DeleteAsync(team.Member, team.Slug, "vision", second.Summary.Id);
        await automations.CreateAsync(team.Member, team.Slug, "vision", Input("three"));
    }

    [Fact]
    public async Task A_backtracking_pattern_cannot_delay_another_teams_write()
    {
        // Ten automations whose pattern backtracks exponentially on a run of a's, and a version carrying twenty
        // such aliases: 200 matches that each took the 100 ms timeout before, inside the write lock.
        for (var i = 0; i < 10; i++)
        {
            await Automations.CreateAsync(_team.Member, _team.Slug, "vision", AliasInput($"(a|aa)*c{i}", name: $"evil-{i}"));
        }

        var other = await _services.CreateTeamAsync("other");
        var artifacts = _services.Get<ArtifactService>();
        await artifacts.CreateProjectAsync(other.Admin, other.Slug, "p", null);
        await artifacts.LogVersionAsync(other.Member, other.Slug, "p", "data", new LogVersionRequest(Type: "dataset"));
        var aliases = Enumerable.Range(0, 20).Select(i => new string('a', 40 + i) + "b").ToList();

        var hostile = Task.Run(() => artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", new LogVersionRequest(Aliases: aliases)));
        await Task.Delay(20);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await artifacts.LogVersionAsync(other.Member, other.Slug, "p", "data", new LogVersionRequest());
        var otherTeamWrite = watch.Elapsed;
        await hostile;

        Assert.True(otherTeamWrite < TimeSpan.FromSeconds(2), $"the other team's write waited {otherTeamWrite.TotalMilliseconds:F0} ms");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"the hostile write took {watch.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public void A_catastrophic_pattern_times_out_as_no_match()
    {
        Assert.False(AutomationMatcher.AliasMatches("(a+)+$", new string('a', 40) + "!"));
    }

    [Fact]
    public async Task Preview_uses_the_latest_matching_event_or_says_it_is_a_sample()
    {
        var sample = await Automations.PreviewAsync(_team.Member, _team.Slug, "vision", ArtifactEventTypes.LinkArtifact, "eval-set", null, PayloadPresets.Default.Template);
        Assert.True(sample.FromSample);
        Assert.Contains("sample", sample.Source);

        await _services.Get<ArtifactService>().LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", new LogVersionRequest());
        await _services.Get<ArtifactService>().LogVersionAsync(_team.Member, _team.Slug, "vision", "train-set", new LogVersionRequest());
        var real = await Automations.PreviewAsync(_team.Member, _team.Slug, "vision", ArtifactEventTypes.LinkArtifact, "eval-set", null, PayloadPresets.Default.Template);

        Assert.False(real.FromSample);
        Assert.Contains($"{_team.Slug}/vision/eval-set:v0", real.Json);
        var invalid = await Automations.PreviewAsync(_team.Member, _team.Slug, "vision", ArtifactEventTypes.LinkArtifact, "eval-set", null, "{");
        Assert.NotNull(invalid.Error);
    }
}
