using System.Text.Json.Nodes;

namespace Automations.Features.Launch;

/// <summary>The effective configuration of a run: the job version's defaults with the overrides laid over them.</summary>
public static class ConfigMerge
{
    /// <summary>
    /// Objects merge key by key, recursively; any other override value (numbers, strings, arrays, null)
    /// replaces the default, as in W&amp;B launch and most config systems (Hydra, OmegaConf).
    /// </summary>
    public static JsonObject Merge(JsonObject defaults, JsonObject overrides)
    {
        var result = (JsonObject)defaults.DeepClone();
        foreach (var (key, value) in overrides)
        {
            result[key] = result[key] is JsonObject inner && value is JsonObject overrideObject
                ? Merge(inner, overrideObject)
                : value?.DeepClone();
        }

        return result;
    }
}
