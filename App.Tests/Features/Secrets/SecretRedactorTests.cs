using Automations.Features.Secrets;

namespace Automations.Tests.Features.Secrets;

public class SecretRedactorTests
{
    private const string Secret = "s3cr\"et/väl+ue";

    [Fact]
    public void Every_echoed_form_of_a_value_is_redacted()
    {
        var redactor = new SecretRedactor([Secret, null, "abc"]);
        var text = string.Join(" | ", Secret, System.Text.Json.JsonEncodedText.Encode(Secret).ToString(),
            System.Text.Json.JsonEncodedText.Encode(Secret, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString(),
            Uri.EscapeDataString(Secret), "abc");

        Assert.Equal("[redacted] | [redacted] | [redacted] | [redacted] | abc", redactor.Redact(text));
    }

    [Fact]
    public void A_cut_inside_a_value_never_keeps_its_beginning()
    {
        var redactor = new SecretRedactor([Secret]);
        // Fewer characters than a redactable value are left, as short values are.
        for (var keep = SecretRedactor.MinLength; keep < Secret.Length; keep++)
        {
            var text = "head " + Secret[..keep];
            var cut = redactor.RedactAndCut(text + "-more-text-after", text.Length);
            Assert.Equal("head [redacted]", cut);
        }
    }

    [Fact]
    public void A_value_containing_another_is_replaced_whole()
    {
        var redactor = new SecretRedactor(["token", "token-long-value"]);

        Assert.Equal("a [redacted] b [redacted]", redactor.Redact("a token-long-value b token"));
    }
}
