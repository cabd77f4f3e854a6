/*
 * The few NVTX calls the profiler makes, through NVIDIA's header-only NVTX3 loader
 * (include/nvtx3, vendored unchanged). The loader is compiled into this one
 * translation unit: on the first call it looks for a tool's injection library
 * (NVTX_INJECTION64_PATH, which Nsight Systems sets), and without one every call is
 * a no-op. No CUDA, no libnvToolsExt.
 */
#include <stdint.h>
#include "nvtx3/nvToolsExt.h"

void *profiler_nvtx_domain_create(const char *name)
{
    return (void *)nvtxDomainCreateA(name);
}

void *profiler_nvtx_register_string(void *domain, const char *text)
{
    return (void *)nvtxDomainRegisterStringA((nvtxDomainHandle_t)domain, text);
}

uint64_t profiler_nvtx_range_start(void *domain, void *registered, const char *text,
                                   uint32_t argb, uint64_t payload, int has_payload)
{
    nvtxEventAttributes_t a = {0};
    a.version = NVTX_VERSION;
    a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
    a.colorType = NVTX_COLOR_ARGB;
    a.color = argb;
    if (registered) {
        a.messageType = NVTX_MESSAGE_TYPE_REGISTERED;
        a.message.registered = (nvtxStringHandle_t)registered;
    } else {
        a.messageType = NVTX_MESSAGE_TYPE_ASCII;
        a.message.ascii = text;
    }
    if (has_payload) {
        a.payloadType = NVTX_PAYLOAD_TYPE_UNSIGNED_INT64;
        a.payload.ullValue = payload;
    }
    return nvtxDomainRangeStartEx((nvtxDomainHandle_t)domain, &a);
}

void profiler_nvtx_range_end(void *domain, uint64_t id)
{
    nvtxDomainRangeEnd((nvtxDomainHandle_t)domain, id);
}
