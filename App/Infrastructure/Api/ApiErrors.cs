using System.Text.Json;
using Automations.Data;
using System.Text.Json.Serialization;

namespace Automations.Infrastructure.Api;

/// <summary>
/// Every API failure answers as problem details that a script can act on: a body the endpoint could not read
/// is a 400 naming the field (never a bare 400 or a 500), and anything unexpected a 500 without internals.
/// </summary>
public static class ApiErrors
{
    /// <summary>Problem details are JSON: messages may quote user input, cut and made writable.</summary>
    public const int MaxDetailLength = 1000;

    public static IServiceCollection AddApiErrors(this IServiceCollection services)
    {
        // Body binding failures throw, so the middleware below can say what was wrong and where.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new CheckedJsonElementConverter()));
        return services;
    }

    public static IApplicationBuilder UseApiErrors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!context.Request.Path.StartsWithSegments(ApiEndpoints.Prefix))
        {
            await next(context);
            return;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            var (field, message) = Describe(ex);
            context.Response.Clear();
            await Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, message, title: "Invalid request",
                statusCode: ex.StatusCode).ExecuteAsync(context);
        }
        catch (Microsoft.EntityFrameworkCore.DbUpdateException ex) when (ex.IsUniqueViolation() && !context.Response.HasStarted)
        {
            // Two requests (on one instance or two) created the same thing at once; the service's own check saw neither.
            context.Response.Clear();
            await Results.Problem("Someone else created the same thing at the same moment. Reload and try again.", statusCode: StatusCodes.Status409Conflict,
                title: "Conflict").ExecuteAsync(context);
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // One line: what failed and where; the stack stays out of the log's way (and out of the answer).
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Automations.Api")
                .LogError("{Method} {Path} failed: {Error}: {Message}", context.Request.Method, context.Request.Path, ex.GetType().Name, ex.Message);
            context.Response.Clear();
            await Results.Problem("The server could not complete the request. It has been logged.", statusCode: StatusCodes.Status500InternalServerError,
                title: "Server error").ExecuteAsync(context);
        }
    });

    /// <summary>A message that is safe to write as JSON and short enough to read.</summary>
    public static string Detail(string message) => TextRules.Shown(message, MaxDetailLength);

    private static (string Field, string Message) Describe(BadHttpRequestException ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json)
            {
                var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "body" : json.Path.TrimStart('$', '.');
                if (json.InnerException is InputException input)
                {
                    // The converter names the place inside the value ("value.key[2]"); the path names the value.
                    field += input.Field[CheckedJsonElementConverter.Root.Length..];
                    return (TextRules.Shown(field), Detail($"'{field}' contains invalid Unicode text (invalid UTF-8 or a lone surrogate)."));
                }

                var reason = json.Path is null or "$" ? JsonErrors.Describe(json)
                    : $"The value of '{field}' could not be read: it has the wrong type or contains invalid text.";
                return (field, Detail(reason));
            }
        }

        return ("body", Detail(ex.Message));
    }

    /// <summary>
    /// Free-form JSON (metadata, configuration) is stored as raw text, so every string in it is decoded once
    /// here: invalid UTF-8 or an escaped lone surrogate is a 400 now instead of a row that fails every later read.
    /// </summary>
    private sealed class CheckedJsonElementConverter : JsonConverter<JsonElement>
    {
        public const string Root = "value";

        public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            var element = document.RootElement.Clone();
            try
            {
                TextRules.Require(element, Root);
            }
            catch (InputException ex)
            {
                throw new JsonException(ex.Message, ex);
            }

            return element;
        }

        public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);
    }
}
