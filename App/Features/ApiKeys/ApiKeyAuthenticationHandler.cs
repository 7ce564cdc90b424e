using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Automations.Infrastructure;
using Automations.Infrastructure.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Automations.Features.ApiKeys;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;api key&gt;</c> on the REST API. Failed keys are counted per client
/// address (<see cref="ApiKeyFailureLimiter"/>); an address that has spent its budget gets 429 for every API request
/// until the window passes, a valid key included: answering a valid key normally would tell a guesser which guess hit.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyService apiKeys,
    ApiKeyFailureLimiter failures)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>Set when this request's address is refused; the challenge then answers 429 instead of 401.</summary>
    private TimeSpan? _retryAfter;

    /// <summary>Why a real key was refused (revoked, expired), for the 401's detail.</summary>
    private string? _refusal;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var address = ClientAddress.Of(Context);
        if (failures.RetryAfter(address) is { } wait)
        {
            _retryAfter = wait;
            return AuthenticateResult.Fail("Too many failed API key attempts from this address.");
        }

        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var check = await apiKeys.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (check.Refusal is { } refusal)
        {
            // A real key, revoked or expired: its holder learns why; not a guess, so not counted against the address.
            _refusal = refusal;
            return AuthenticateResult.Fail(refusal);
        }

        if (check.Actor is not { } actor)
        {
            if (failures.RecordFailure(address))
            {
                Logger.LogWarning("API key failures from {Address} reached the limit; its API requests are refused for a while.", address);
            }

            return AuthenticateResult.Fail("Invalid or revoked API key.");
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, actor.UserId), new(ClaimTypes.Name, actor.UserName) };
        if (actor.IsInstanceAdmin)
        {
            claims.Add(new Claim(Actor.InstanceAdminClaim, "true"));
        }

        if (actor.Key is { } scope)
        {
            claims.AddRange(scope.ToClaims());
        }

        if (actor.Origin?.Via is { } via)
        {
            claims.Add(new Claim(Actor.ViaClaim, via));
        }

        if (actor.KeyExpiresAt is { } expires)
        {
            claims.Add(new Claim(Actor.KeyExpiresClaim, expires.ToString("O", CultureInfo.InvariantCulture)));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (_retryAfter is { } wait)
        {
            return TooManyRequests.WriteProblemAsync(Context, wait,
                $"Too many failed API key attempts from your network address. Try again in {TooManyRequests.Seconds(wait)} seconds.");
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Response.WriteAsJsonAsync(new
        {
            type = "https://tools.ietf.org/html/rfc9110#section-15.5.2",
            title = "Unauthorized",
            status = 401,
            detail = _refusal ?? "Send a valid API key as 'Authorization: Bearer <key>'. Create one on your account page.",
        }, options: null, contentType: "application/problem+json");
    }
}
