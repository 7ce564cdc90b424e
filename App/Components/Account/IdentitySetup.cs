using Automations.Data;
using Automations.Features.Teams;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;

namespace Automations.Components.Account;

public static class IdentitySetup
{
    public static IServiceCollection AddAppIdentity(this IServiceCollection services)
    {
        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();

        services.AddIdentityCore<ApplicationUser>(options =>
            {
                // Self-hosted installs often have no mail server; accounts are usable at once.
                options.SignIn.RequireConfirmedAccount = false;
                options.User.RequireUniqueEmail = true;
                options.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
            })
            .AddEntityFrameworkStores<AppDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<AppClaimsPrincipalFactory>();

        // Identity's own lockout: a password guessed slowly from many addresses still meets this per-account limit.
        services.AddOptions<IdentityOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            options.Lockout.AllowedForNewUsers = true;
            options.Lockout.MaxFailedAccessAttempts = configuration.GetValue("Security:Lockout:MaxFailedAttempts", 5);
            options.Lockout.DefaultLockoutTimeSpan = configuration.GetValue("Security:Lockout:Duration", TimeSpan.FromMinutes(15));
        });

        // Stated, not inherited from defaults: Secure over HTTPS (plain HTTP on localhost still works), never readable by scripts,
        // and Lax so a link from elsewhere arrives signed in but a cross-site form post does not.
        services.ConfigureApplicationCookie(options =>
        {
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
        });

        // Logout changes the security stamp; checking it on every request (interval zero) makes a copied cookie
        // worthless the moment its owner signs out, at the price of one user lookup per request.
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IConfiguration>((options, configuration) =>
            options.ValidationInterval = configuration.GetValue("Security:StampValidationInterval", TimeSpan.Zero));

        services.AddSingleton<IEmailSender<ApplicationUser>, IdentityNoOpEmailSender>();
        return services;
    }
}
