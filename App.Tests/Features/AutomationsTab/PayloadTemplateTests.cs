using System.Text.Json;
using System.Text.Json.Nodes;
using Automations.Features.Automations;

namespace Automations.Tests.Features.AutomationsTab;

public class PayloadTemplateTests
{
    private static TemplateValues Values(string? author = null, JsonObject? metadata = null, Dictionary<string, string>? secrets = null) => new(
        new Dictionary<string, string>
        {
            ["event_type"] = "ADD_ARTIFACT_ALIAS",
            ["event_author"] = author ?? "jane",
            ["artifact_version"] = "wandb-artifact://_id/abc123",
            ["artifact_version_string"] = "acme/vision/eval-set:production",
            ["artifact_collection_name"] = "eval-set",
            ["project_name"] = "vision",
            ["entity_name"] = "acme",
            ["alias"] = "production",
        },
        metadata ?? new JsonObject { ["accuracy"] = 0.93, ["epochs"] = 10, ["tag"] = "best", ["ok"] = true, ["nested"] = new JsonObject { ["a"] = 1 } },
        secrets ?? new Dictionary<string, string> { ["API_TOKEN"] = "tok-123" });

    private static JsonElement RenderJson(string template, TemplateValues values) => JsonDocument.Parse(PayloadTemplate.Render(template, values)).RootElement;

    [Fact]
    public void Every_variable_renders()
    {
        var template = """
            {"t": "${event_type}", "a": "${event_author}", "v": "${artifact_version}", "s": "${artifact_version_string}",
             "c": "${artifact_collection_name}", "p": "${project_name}", "e": "${entity_name}", "al": "${alias}",
             "m": "${artifact_metadata.tag}", "secret": "Bearer ${API_TOKEN}"}
            """;

        var json = RenderJson(template, Values());

        Assert.Equal("ADD_ARTIFACT_ALIAS", json.GetProperty("t").GetString());
        Assert.Equal("jane", json.GetProperty("a").GetString());
        Assert.Equal("wandb-artifact://_id/abc123", json.GetProperty("v").GetString());
        Assert.Equal("acme/vision/eval-set:production", json.GetProperty("s").GetString());
        Assert.Equal("eval-set", json.GetProperty("c").GetString());
        Assert.Equal("vision", json.GetProperty("p").GetString());
        Assert.Equal("acme", json.GetProperty("e").GetString());
        Assert.Equal("production", json.GetProperty("al").GetString());
        Assert.Equal("best", json.GetProperty("m").GetString());
        Assert.Equal("Bearer tok-123", json.GetProperty("secret").GetString());
    }

    [Fact]
    public void A_string_that_is_exactly_one_metadata_variable_keeps_its_json_type()
    {
        var json = RenderJson("""{"acc": "${artifact_metadata.accuracy}", "n": "${artifact_metadata.epochs}", "ok": "${artifact_metadata.ok}", "obj": "${artifact_metadata.nested}", "missing": "${artifact_metadata.nope}", "text": "acc=${artifact_metadata.accuracy}"}""", Values());

        Assert.Equal(JsonValueKind.Number, json.GetProperty("acc").ValueKind);
        Assert.Equal(0.93, json.GetProperty("acc").GetDouble());
        Assert.Equal(10, json.GetProperty("n").GetInt32());
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal(1, json.GetProperty("obj").GetProperty("a").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("missing").ValueKind);
        Assert.Equal("acc=0.93", json.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("quote\" \"injected\": \"x")]
    [InlineData("back\\slash\\\" and \\u0000")]
    [InlineData("new\nline\r\nand\ttab")]
    [InlineData("unicode ✓ 日本語 🚀 \u2028\u2029")]
    [InlineData("${API_TOKEN} ${event_type} $${alias}")]
    [InlineData("</script><script>alert(1)</script>")]
    [InlineData("}, \"evil\": {")]
    public void Hostile_values_cannot_break_the_json_or_add_fields(string hostile)
    {
        var template = """{"author": "${event_author}", "msg": "by ${event_author}!", "list": ["${event_author}"]}""";

        var json = RenderJson(template, Values(author: hostile));

        Assert.Equal(["author", "msg", "list"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(hostile, json.GetProperty("author").GetString());
        Assert.Equal($"by {hostile}!", json.GetProperty("msg").GetString());
        Assert.Equal(hostile, json.GetProperty("list")[0].GetString());
    }

    [Fact]
    public void Hostile_metadata_values_are_not_expanded_again()
    {
        var values = Values(metadata: new JsonObject { ["note"] = "${API_TOKEN}" });

        var json = RenderJson("""{"note": "${artifact_metadata.note}", "inline": "x ${artifact_metadata.note}"}""", values);

        Assert.Equal("${API_TOKEN}", json.GetProperty("note").GetString());
        Assert.Equal("x ${API_TOKEN}", json.GetProperty("inline").GetString());
    }

    [Fact]
    public void One_megabyte_values_render_intact()
    {
        var big = new string('x', 1024 * 1024) + "\"\n";

        var json = RenderJson("""{"a": "${event_author}", "b": "<${event_author}>"}""", Values(author: big));

        Assert.Equal(big, json.GetProperty("a").GetString());
        Assert.Equal($"<{big}>", json.GetProperty("b").GetString());
    }

    [Fact]
    public void Keys_numbers_and_literals_are_left_alone()
    {
        var json = RenderJson("""{"${event_type}": 1, "n": 2.5, "b": false, "z": null, "arr": [1, "${alias}"]}""", Values());

        Assert.True(json.TryGetProperty("${event_type}", out _));
        Assert.Equal(2.5, json.GetProperty("n").GetDouble());
        Assert.Equal("production", json.GetProperty("arr")[1].GetString());
    }

    [Theory]
    [InlineData("{\"a\": 1,}", "line 1")]
    [InlineData("{\n  \"a\": \"x\"\n  \"b\": 1\n}", "line 3")]
    [InlineData("not json", "line 1")]
    [InlineData("", "empty")]
    public void Invalid_json_is_reported_with_line_and_column(string template, string expected)
    {
        var errors = PayloadTemplate.Validate(template, []);

        var error = Assert.Single(errors);
        Assert.Contains(expected, error);
        Assert.Throws<TemplateException>(() => PayloadTemplate.Render(template, Values()));
    }

    [Fact]
    public void Unknown_variables_and_missing_secrets_are_errors()
    {
        var errors = PayloadTemplate.Validate("""{"a": "${evnt_type}", "b": "${NOT_A_SECRET}", "c": "${has space}", "d": "${API_TOKEN}", "e": "${artifact_metadata.x}"}""", ["API_TOKEN"]);

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.Contains("${evnt_type}"));
        Assert.Contains(errors, e => e.Contains("${NOT_A_SECRET}"));
        Assert.Contains(errors, e => e.Contains("${has space}"));
    }

    [Fact]
    public void Rendering_a_deleted_secret_fails_clearly()
    {
        var ex = Assert.Throws<TemplateException>(() => PayloadTemplate.Render("""{"t": "${GONE}"}""", Values()));
        Assert.Contains("${GONE}", ex.Message);
    }

    [Fact]
    public void Every_preset_is_valid_and_renders()
    {
        foreach (var preset in PayloadPresets.All)
        {
            Assert.Empty(PayloadTemplate.Validate(preset.Template, []));
            Assert.Equal(JsonValueKind.Object, RenderJson(preset.Template, Values()).ValueKind);
        }

        var github = RenderJson(PayloadPresets.GitHub.Template, Values());
        Assert.Equal("BUILD_AND_DEPLOY", github.GetProperty("event_type").GetString());
        Assert.Equal("acme", github.GetProperty("client_payload").GetProperty("entity_name").GetString());
        var slack = RenderJson(PayloadPresets.Slack.Template, Values());
        Assert.Equal("divider", slack.GetProperty("blocks")[3].GetProperty("type").GetString());
        Assert.Equal("MessageCard", RenderJson(PayloadPresets.Teams.Template, Values()).GetProperty("@type").GetString());
    }

    [Fact]
    public void A_template_with_only_builtin_and_metadata_variables_needs_no_secrets()
    {
        Assert.False(PayloadTemplate.MayReferenceSecrets(PayloadPresets.Slack.Template));
        Assert.False(PayloadTemplate.MayReferenceSecrets("""{"a": "${artifact_metadata.x} ${alias}"}"""));
        Assert.True(PayloadTemplate.MayReferenceSecrets("""{"a": "Bearer ${API_TOKEN}"}"""));
    }
}
