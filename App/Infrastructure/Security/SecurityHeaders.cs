using System.Security.Cryptography;

namespace Automations.Infrastructure.Security;

/// <summary>
/// Headers every response carries: no MIME sniffing, no framing, referrers without paths to other sites, and a
/// Content-Security-Policy. Pages run only this app's scripts plus inline ones that carry the request's nonce (the
/// Blazor import map); MudBlazor and Monaco set inline styles; Monaco's workers load from this app's own files.
/// </summary>
public static class SecurityHeaders
{
    private const string NonceKey = "Automations.CspNonce";

    /// <summary>
    /// The browsable API reference (Scalar) starts itself with an inline module script that carries no nonce, and its
    /// bundle calls eval. The page shows the public API description and nothing of a user's, so it alone runs with both.
    /// </summary>
    private static readonly PathString ApiDocs = "/api/docs";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        // On starting, not now: the exception handler clears headers before it renders the error page.
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers.ContentSecurityPolicy = ContentSecurityPolicy(context);
            return Task.CompletedTask;
        });
        return next(context);
    });

    /// <summary>This request's CSP nonce, for an inline script the page must run; created on first use.</summary>
    public static string Nonce(HttpContext context)
    {
        if (context.Items[NonceKey] is not string nonce)
        {
            // Hex, not base64: nothing for the HTML attribute or the header to escape.
            nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            context.Items[NonceKey] = nonce;
        }

        return nonce;
    }

    private static string ContentSecurityPolicy(HttpContext context)
    {
        var scripts = context.Request.Path.StartsWithSegments(ApiDocs)
            ? "'self' 'unsafe-inline' 'unsafe-eval'"
            : context.Items[NonceKey] is string nonce ? $"'self' 'nonce-{nonce}'" : "'self'";
        return "default-src 'self'; " +
            $"script-src {scripts}; " +
            "style-src 'self' 'unsafe-inline'; " +
            "img-src 'self' data:; " +
            "font-src 'self' data:; " +
            "connect-src 'self'; " +
            "worker-src 'self'; " +
            "object-src 'none'; " +
            "base-uri 'self'; " +
            "form-action 'self'; " +
            "frame-ancestors 'none'";
    }
}
