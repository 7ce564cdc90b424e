using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Secrets;
using Automations.Features.Webhooks;
using Automations.Tests.TestInfrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;

namespace Automations.Tests.Features.AutomationsTab;

public class AutomationWizardTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private AppTestContext _ctx = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _services.Resolver.Map("hooks.example.com", "93.184.216.34");
        _team = await _services.CreateTeamAsync();
        await _services.Get<ArtifactService>().CreateProjectAsync(_team.Admin, _team.Slug, "vision", null);
        await _services.Get<SecretService>().CreateAsync(_team.Admin, _team.Slug, "SLACK_TOKEN", "xoxb-real-secret-value");
        await _services.Get<WebhookService>().CreateAsync(_team.Admin, _team.Slug, new WebhookInput("Slack", "https://hooks.example.com/x", null, null));
        _ctx = new AppTestContext(_services, _team.Member);
        _ctx.RenderProviders();
    }

    public async ValueTask DisposeAsync()
    {
        await _ctx.DisposeAsync();
        await _services.DisposeAsync();
    }

    private async Task LogVersionAsync(string? alias = null) =>
        await _services.Get<ArtifactService>().LogVersionAsync(_team.Admin, _team.Slug, "vision", "eval-set",
            new LogVersionRequest(Type: "dataset", Aliases: alias is null ? null : [alias], Metadata: System.Text.Json.JsonDocument.Parse("{\"accuracy\": 0.97}").RootElement));

    private IRenderedComponent<AutomationWizard> Render() =>
        _ctx.Render<AutomationWizard>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Project, "vision"));

    private static async Task NextAsync(IRenderedComponent<AutomationWizard> wizard) =>
        await wizard.Find("[data-testid=wizard-next]").ClickAsync(new());

    /// <summary>Clicks the radio button whose label has <paramref name="label"/>.</summary>
    private static Task ChooseAsync(IRenderedComponent<AutomationWizard> wizard, string label) =>
        wizard.FindAll("label.mud-radio").Single(l => l.TextContent.Contains(label)).QuerySelector("input")!.ClickAsync(new());

    /// <summary>Chooses the team's webhook in step 2, as picking it from the list does (the wizard chooses none by itself).</summary>
    private async Task ChooseWebhookAsync(IRenderedComponent<AutomationWizard> wizard)
    {
        var webhookId = (await _services.Get<WebhookService>().ListAsync(_team.Admin, _team.Slug)).Single().Id;
        var select = wizard.FindComponents<MudBlazor.MudSelect<int?>>().Single(s => s.Instance.Label == "Webhook");
        await wizard.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(webhookId));
    }

    private static void WaitForStep(IRenderedComponent<AutomationWizard> wizard, string marker) =>
        wizard.WaitForAssertion(() => Assert.NotNull(wizard.Find(marker)));

    [Fact]
    public async Task New_version_trigger_needs_a_collection_before_the_next_step()
    {
        var wizard = Render();
        WaitForStep(wizard, "[data-testid=wizard-next]");

        await NextAsync(wizard);

        wizard.WaitForAssertion(() => Assert.Contains("Choose the artifact collection", wizard.Markup));
        Assert.Empty(wizard.FindAll("[data-testid=automation-name]"));
        Assert.Contains("This project has no collections yet", wizard.Markup);
    }

    [Fact]
    public async Task Invalid_alias_pattern_is_explained_next_to_the_field()
    {
        var wizard = Render();
        WaitForStep(wizard, "[data-testid=wizard-next]");

        await ChooseAsync(wizard, "An artifact alias is added");
        wizard.WaitForAssertion(() => Assert.NotNull(wizard.Find("input[data-testid=alias-pattern]")));
        await wizard.Find("input[data-testid=alias-pattern]").ChangeAsync(new() { Value = "test-set-(" });
        await NextAsync(wizard);

        wizard.WaitForAssertion(() => Assert.Contains("not a valid regular expression", wizard.Markup));
    }

    [Fact]
    public async Task Jobs_without_any_job_in_the_team_say_so_and_do_not_advance()
    {
        await LogVersionAsync();
        var wizard = Render();
        WaitForStep(wizard, "[data-testid=wizard-next]");

        await ChooseAsync(wizard, "Jobs");
        await NextAsync(wizard);

        wizard.WaitForAssertion(() => Assert.Contains("The team has no jobs yet", wizard.Find("[data-testid=action-unavailable]").TextContent));
        Assert.Empty(wizard.FindAll("textarea[data-testid=payload-editor]"));
    }

    [Fact]
    public async Task Presets_fill_the_editor_and_the_preview_renders_the_latest_matching_event()
    {
        await LogVersionAsync();
        var wizard = Render();
        WaitForStep(wizard, "[data-testid=wizard-next]");
        await NextAsync(wizard);
        WaitForStep(wizard, "textarea[data-testid=payload-editor]");

        await wizard.Find("[data-testid='preset-GitHub repository dispatch']").ClickAsync(new());

        wizard.WaitForAssertion(() => Assert.Contains("BUILD_AND_DEPLOY", wizard.Find("textarea[data-testid=payload-editor]").GetAttribute("value")));
        wizard.WaitForAssertion(() => Assert.Contains("\"client_payload\"", wizard.Find("[data-testid=preview]").TextContent));
        Assert.Contains($"{_team.Slug}/vision/eval-set:v0", wizard.Find("[data-testid=preview]").TextContent);
        Assert.StartsWith("From event", wizard.Find("[data-testid=preview-source]").TextContent);

        await wizard.Find("[data-testid='preset-Microsoft Teams']").ClickAsync(new());
        wizard.WaitForAssertion(() => Assert.Contains("MessageCard", wizard.Find("[data-testid=preview]").TextContent));
        await wizard.Find("[data-testid='preset-Slack']").ClickAsync(new());
        wizard.WaitForAssertion(() => Assert.Contains("divider", wizard.Find("[data-testid=preview]").TextContent));
    }

    [Fact]
    public async Task Variable_list_offers_variables_and_secret_names_and_the_preview_masks_secrets()
    {
        await LogVersionAsync();
        var wizard = Render();
        WaitForStep(wizard, "[data-testid=wizard-next]");
        await NextAsync(wizard);
        WaitForStep(wizard, "textarea[data-testid=payload-editor]");

        var chips = wizard.Find("[data-testid=variables]").TextContent;
        foreach (var variable in PayloadTemplate.Variables)
        {
            Assert.Contains("${" + variable.Name + "}", chips);
        }

        Assert.Contains("${SLACK_TOKEN}", chips);
        await wizard.Find("textarea[data-testid=payload-editor]").InputAsync(new() { Value = "{\"token\": \"Bearer \", \"acc\": \"${artifact_metadata.accuracy}\"}" });
        wizard.WaitForAssertion(() => Assert.Contains("0.97", wizard.Find("[data-testid=preview]").TextContent));
        await wizard.FindAll("[data-testid=variables] .mud-chip").Single(c => c.TextContent.Contains("SLACK_TOKEN")).ClickAsync(new());

        wizard.WaitForAssertion(() => Assert.EndsWith("${SLACK_TOKEN}", wizard.Find("textarea[data-testid=payload-editor]").GetAttribute("value")));
    }

    [Fact]
    public async Task Preview_masks_secret_values()
    {
        await LogVersionAsync();
        var wizard = Render();
        WaitForStep(wizard, "[data-testid=wizard-next]");
        await NextAsync(wizard);
        WaitForStep(wizard, "textarea[data-testid=payload-editor]");

        await wizard.Find("textarea[data-testid=payload-editor]").InputAsync(new() { Value = "{\"auth\": \"Bearer ${SLACK_TOKEN}\"}" });

        wizard.WaitForAssertion(() => Assert.Contains("Bearer ••••", wizard.Find("[data-testid=preview]").TextContent));
        Assert.DoesNotContain("xoxb-real-secret-value", wizard.Markup);
    }

    [Fact]
    public async Task Invalid_template_and_unknown_variables_are_shown_next_to_the_editor()
    {
        await LogVersionAsync();
        var wizard = Render();
        WaitForStep(wizard, "[data-testid=wizard-next]");
        await NextAsync(wizard);
        WaitForStep(wizard, "textarea[data-testid=payload-editor]");

        await wizard.Find("textarea[data-testid=payload-editor]").InputAsync(new() { Value = "{\n  \"a\": 1\n  \"b\": 2\n}" });
        await NextAsync(wizard);
        wizard.WaitForAssertion(() => Assert.Contains("line 3", wizard.Find("[data-testid=template-error]").TextContent));

        await wizard.Find("textarea[data-testid=payload-editor]").InputAsync(new() { Value = "{\"a\": \"${no_such_variable}\", \"b\": \"${MISSING_SECRET}\"}" });
        await NextAsync(wizard);
        wizard.WaitForAssertion(() => Assert.Contains("${no_such_variable}", wizard.Find("[data-testid=template-error]").TextContent));
        Assert.Contains("${MISSING_SECRET}", wizard.Find("[data-testid=template-error]").TextContent);
        Assert.Empty(wizard.FindAll("[data-testid=automation-name]"));
    }

    [Fact]
    public async Task Completing_the_three_steps_creates_the_automation()
    {
        await LogVersionAsync();
        var wizard = Render();
        WaitForStep(wizard, "[data-testid=wizard-next]");
        await NextAsync(wizard);
        WaitForStep(wizard, "textarea[data-testid=payload-editor]");
        await wizard.Find("[data-testid='preset-Slack']").ClickAsync(new());
        await NextAsync(wizard);
        wizard.WaitForAssertion(() => Assert.Contains("Choose one of the team's webhooks.", wizard.Markup));
        await ChooseWebhookAsync(wizard);
        await NextAsync(wizard);
        WaitForStep(wizard, "input[data-testid=automation-name]");

        await wizard.Find("input[data-testid=automation-name]").ChangeAsync(new() { Value = "Notify" });
        await wizard.Find("[data-testid=wizard-save]").ClickAsync(new());

        var nav = _ctx.Services.GetService(typeof(NavigationManager)) as NavigationManager;
        wizard.WaitForAssertion(() => Assert.Contains("/automations?saved=", nav!.Uri));
        var created = Assert.Single(await _services.Get<AutomationService>().ListAsync(_team.Member, _team.Slug, "vision"));
        Assert.EndsWith($"/automations?saved={created.Id}", nav!.Uri);
        Assert.Equal(("Notify", "eval-set", "Slack"), (created.Name, created.Collection, created.ActionName));
    }

    [Fact]
    public async Task Edit_opens_the_same_wizard_prefilled_and_saves_the_changes()
    {
        await LogVersionAsync();
        var webhookId = (await _services.Get<WebhookService>().ListAsync(_team.Admin, _team.Slug)).Single().Id;
        var existing = await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision",
            new AutomationInput("Old name", "d", ArtifactEventTypes.AddArtifactAlias, null, "prod.*", ActionTypes.Webhook, webhookId, PayloadPresets.Teams.Template));

        var wizard = _ctx.Render<AutomationWizard>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Project, "vision").Add(x => x.Id, existing.Summary.Id));
        wizard.WaitForAssertion(() => Assert.Equal("prod.*", wizard.Find("input[data-testid=alias-pattern]").GetAttribute("value")));
        await wizard.Find("input[data-testid=alias-pattern]").ChangeAsync(new() { Value = "production" });
        await NextAsync(wizard);
        WaitForStep(wizard, "textarea[data-testid=payload-editor]");
        Assert.Contains("MessageCard", wizard.Find("textarea[data-testid=payload-editor]").GetAttribute("value"));
        await NextAsync(wizard);
        WaitForStep(wizard, "input[data-testid=automation-name]");
        Assert.Equal("Old name", wizard.Find("input[data-testid=automation-name]").GetAttribute("value"));
        await wizard.Find("input[data-testid=automation-name]").ChangeAsync(new() { Value = "New name" });
        await wizard.Find("[data-testid=wizard-save]").ClickAsync(new());

        var nav = _ctx.Services.GetService(typeof(NavigationManager)) as NavigationManager;
        wizard.WaitForAssertion(() => Assert.EndsWith($"/automations?saved={existing.Summary.Id}", nav!.Uri));
        var saved = (await _services.Get<AutomationService>().GetAsync(_team.Member, _team.Slug, "vision", existing.Summary.Id)).Summary;
        Assert.Equal(("New name", "production"), (saved.Name, saved.AliasPattern));
        Assert.Single(await _services.Get<AutomationService>().ListAsync(_team.Member, _team.Slug, "vision"));
    }

    [Fact]
    public async Task Duplicate_name_is_shown_on_the_last_step()
    {
        await LogVersionAsync();
        var webhookId = (await _services.Get<WebhookService>().ListAsync(_team.Admin, _team.Slug)).Single().Id;
        await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision",
            new AutomationInput("Notify", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, webhookId, PayloadPresets.Default.Template));
        var wizard = Render();
        WaitForStep(wizard, "[data-testid=wizard-next]");
        await NextAsync(wizard);
        WaitForStep(wizard, "textarea[data-testid=payload-editor]");
        await ChooseWebhookAsync(wizard);
        await NextAsync(wizard);
        WaitForStep(wizard, "input[data-testid=automation-name]");

        await wizard.Find("input[data-testid=automation-name]").ChangeAsync(new() { Value = "Notify" });
        await wizard.Find("[data-testid=wizard-save]").ClickAsync(new());

        wizard.WaitForAssertion(() => Assert.Contains("already exists", wizard.Markup));
        Assert.Single(await _services.Get<AutomationService>().ListAsync(_team.Member, _team.Slug, "vision"));
    }
}
