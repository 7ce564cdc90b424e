using Automations.Features.Secrets;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Tests.Features.Secrets;

public class SecretServiceTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _services.Resolver.Map("ci.example.com", "93.184.216.34");
        _team = await _services.CreateTeamAsync();
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private SecretService Secrets => _services.Get<SecretService>();

    [Fact]
    public async Task Admin_creates_and_members_see_the_name_but_never_the_value()
    {
        await Secrets.CreateAsync(_team.Admin, _team.Slug, "GITHUB_TOKEN", "ghp_supersecretvalue");

        var list = await Secrets.ListAsync(_team.Member, _team.Slug);

        var secret = Assert.Single(list);
        Assert.Equal("GITHUB_TOKEN", secret.Name);
        Assert.Equal(_team.Admin.UserName, secret.UpdatedBy);
        Assert.DoesNotContain("ghp_supersecretvalue", System.Text.Json.JsonSerializer.Serialize(list));
    }

    [Fact]
    public async Task Value_is_encrypted_at_rest()
    {
        await Secrets.CreateAsync(_team.Admin, _team.Slug, "TOKEN", "plain-text-value-123");

        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var stored = await db.TeamSecrets.SingleAsync();
        Assert.DoesNotContain("plain-text-value-123", stored.ProtectedValue);
        var raw = await File.ReadAllBytesAsync(Path.Combine(_services.DataDirectory, "automations.db"));
        Assert.DoesNotContain("plain-text-value-123", System.Text.Encoding.UTF8.GetString(raw));
        var team = (await _services.Get<Automations.Features.Teams.TeamService>().GetAccessAsync(_team.Admin, _team.Slug)).TeamId;
        Assert.Equal("plain-text-value-123", (await Secrets.GetValuesAsync(team))["TOKEN"]);
    }

    [Fact]
    public async Task Keys_persist_beside_the_database_so_a_restart_can_decrypt()
    {
        await Secrets.CreateAsync(_team.Admin, _team.Slug, "TOKEN", "survives-restart");
        var teamId = (await _services.Get<Automations.Features.Teams.TeamService>().GetAccessAsync(_team.Admin, _team.Slug)).TeamId;

        // A second service provider over the same data directory stands for the restarted app.
        await using var restarted = await TestServices.CreateAsync(new Dictionary<string, string?> { ["Storage:DataDirectory"] = _services.DataDirectory });

        Assert.True(Directory.EnumerateFiles(Path.Combine(_services.DataDirectory, "keys"), "*.xml").Any());
        Assert.Equal("survives-restart", (await restarted.Get<SecretService>().GetValuesAsync(teamId))["TOKEN"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1STARTS_WITH_DIGIT")]
    [InlineData("has-dash")]
    [InlineData("has space")]
    [InlineData("dollar$")]
    public async Task Invalid_names_are_refused_naming_the_field(string name)
    {
        var ex = await Assert.ThrowsAsync<InputException>(() => Secrets.CreateAsync(_team.Admin, _team.Slug, name, "v"));
        Assert.Equal("name", ex.Field);
        Assert.Empty(await Secrets.ListAsync(_team.Admin, _team.Slug));
    }

    [Fact]
    public async Task Empty_value_and_duplicate_name_are_refused()
    {
        Assert.Equal("value", (await Assert.ThrowsAsync<InputException>(() => Secrets.CreateAsync(_team.Admin, _team.Slug, "A", ""))).Field);
        await Secrets.CreateAsync(_team.Admin, _team.Slug, "_A1", "v");
        await Assert.ThrowsAsync<ConflictException>(() => Secrets.CreateAsync(_team.Admin, _team.Slug, "_A1", "w"));
    }

    [Fact]
    public async Task Replace_writes_a_new_value_and_records_who()
    {
        await Secrets.CreateAsync(_team.Admin, _team.Slug, "TOKEN", "old");
        _services.Clock.Advance(TimeSpan.FromHours(1));

        await Secrets.ReplaceAsync(_team.Admin, _team.Slug, "TOKEN", "new");

        var teamId = (await _services.Get<Automations.Features.Teams.TeamService>().GetAccessAsync(_team.Admin, _team.Slug)).TeamId;
        Assert.Equal("new", (await Secrets.GetValuesAsync(teamId))["TOKEN"]);
        Assert.Equal(_services.Clock.GetUtcNow(), (await Secrets.ListAsync(_team.Admin, _team.Slug)).Single().UpdatedAt);
    }

    [Fact]
    public async Task Member_is_refused_and_outsider_gets_not_found()
    {
        await Secrets.CreateAsync(_team.Admin, _team.Slug, "TOKEN", "v");

        await Assert.ThrowsAsync<ForbiddenException>(() => Secrets.CreateAsync(_team.Member, _team.Slug, "OTHER", "v"));
        await Assert.ThrowsAsync<ForbiddenException>(() => Secrets.ReplaceAsync(_team.Member, _team.Slug, "TOKEN", "x"));
        await Assert.ThrowsAsync<ForbiddenException>(() => Secrets.DeleteAsync(_team.Member, _team.Slug, "TOKEN"));
        await Assert.ThrowsAsync<NotFoundException>(() => Secrets.ListAsync(_team.Outsider, _team.Slug));
        await Assert.ThrowsAsync<NotFoundException>(() => Secrets.CreateAsync(_team.Outsider, _team.Slug, "OTHER", "v"));
        await Assert.ThrowsAsync<NotFoundException>(() => Secrets.DeleteAsync(_team.Outsider, _team.Slug, "TOKEN"));
    }

    [Fact]
    public async Task Deleting_a_secret_a_webhook_uses_is_refused_naming_the_webhooks()
    {
        await Secrets.CreateAsync(_team.Admin, _team.Slug, "SIGNING", "v");
        var webhooks = _services.Get<WebhookService>();
        await webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput("Build trigger", "https://ci.example.com/hook", "SIGNING", null));
        await webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput("Deploy", "https://ci.example.com/deploy", null, "SIGNING"));

        var ex = await Assert.ThrowsAsync<ConflictException>(() => Secrets.DeleteAsync(_team.Admin, _team.Slug, "SIGNING"));

        Assert.Contains("Build trigger", ex.Message);
        Assert.Contains("Deploy", ex.Message);
        Assert.Equal(["Build trigger", "Deploy"], (await Secrets.ListAsync(_team.Admin, _team.Slug)).Single().UsedByWebhooks.Order());
    }

    [Fact]
    public async Task Unused_secret_is_deleted()
    {
        await Secrets.CreateAsync(_team.Admin, _team.Slug, "TOKEN", "v");

        await Secrets.DeleteAsync(_team.Admin, _team.Slug, "TOKEN");

        Assert.Empty(await Secrets.ListAsync(_team.Admin, _team.Slug));
    }
}
