/*
 * A stand-in for an NVTX tool (what Nsight Systems injects): NVTX's loader finds it
 * through NVTX_INJECTION64_PATH, calls InitializeInjectionNvtx2, and from then on
 * sends it every domain, registered string and start/end range, which it writes one
 * per line to the file named in FAKE_NVTX_LOG:
 *
 *   domain <name>
 *   start <id> <domain> <name> payload=<u64 or ->
 *   end <id> <domain>
 */
#define NVTX_NO_IMPL
#include "nvtx3/nvToolsExt.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STRINGS 4096
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static char *domains[64];
static int n_domains;
static char *strings[MAX_STRINGS];
static int n_strings;
static nvtxRangeId_t next_id = 1000000000000ULL; /* past 32 bits: ids are 64-bit */

static const char *domain_name(nvtxDomainHandle_t d)
{
    size_t i = (size_t)d;
    return (i >= 1 && i <= (size_t)n_domains) ? domains[i - 1] : "(default)";
}

static nvtxDomainHandle_t domain_create(const char *name)
{
    pthread_mutex_lock(&lock);
    domains[n_domains++] = strdup(name);
    fprintf(out, "domain %s\n", name);
    fflush(out);
    nvtxDomainHandle_t h = (nvtxDomainHandle_t)(size_t)n_domains;
    pthread_mutex_unlock(&lock);
    return h;
}

static nvtxStringHandle_t register_string(nvtxDomainHandle_t d, const char *s)
{
    (void)d;
    pthread_mutex_lock(&lock);
    nvtxStringHandle_t h = 0;
    if (n_strings < MAX_STRINGS) {
        strings[n_strings++] = strdup(s);
        h = (nvtxStringHandle_t)(size_t)n_strings;
    }
    pthread_mutex_unlock(&lock);
    return h;
}

static nvtxRangeId_t range_start(nvtxDomainHandle_t d, const nvtxEventAttributes_t *a)
{
    pthread_mutex_lock(&lock);
    const char *name = "?";
    if (a->messageType == NVTX_MESSAGE_TYPE_REGISTERED) {
        size_t i = (size_t)a->message.registered;
        name = (i >= 1 && i <= (size_t)n_strings) ? strings[i - 1] : "?registered";
    } else if (a->messageType == NVTX_MESSAGE_TYPE_ASCII) {
        name = a->message.ascii;
    }
    nvtxRangeId_t id = next_id++;
    if (a->payloadType == NVTX_PAYLOAD_TYPE_UNSIGNED_INT64)
        fprintf(out, "start %llu %s %s payload=%llu\n", (unsigned long long)id, domain_name(d),
                name, (unsigned long long)a->payload.ullValue);
    else
        fprintf(out, "start %llu %s %s payload=-\n", (unsigned long long)id, domain_name(d), name);
    fflush(out);
    pthread_mutex_unlock(&lock);
    return id;
}

static void range_end(nvtxDomainHandle_t d, nvtxRangeId_t id)
{
    pthread_mutex_lock(&lock);
    fprintf(out, "end %llu %s\n", (unsigned long long)id, domain_name(d));
    fflush(out);
    pthread_mutex_unlock(&lock);
}

int InitializeInjectionNvtx2(NvtxGetExportTableFunc_t get_export_table)
{
    const NvtxExportTableCallbacks *callbacks =
        (const NvtxExportTableCallbacks *)get_export_table(NVTX_ETID_CALLBACKS);
    NvtxFunctionTable table = 0;
    unsigned int size = 0;
    const char *path = getenv("FAKE_NVTX_LOG");
    if (!callbacks || !path)
        return 0;
    if (!callbacks->GetModuleFunctionTable(NVTX_CB_MODULE_CORE2, &table, &size) ||
        size <= NVTX_CBID_CORE2_DomainCreateA)
        return 0;
    out = fopen(path, "w");
    if (!out)
        return 0;
    *table[NVTX_CBID_CORE2_DomainCreateA] = (NvtxFunctionPointer)domain_create;
    *table[NVTX_CBID_CORE2_DomainRegisterStringA] = (NvtxFunctionPointer)register_string;
    *table[NVTX_CBID_CORE2_DomainRangeStartEx] = (NvtxFunctionPointer)range_start;
    *table[NVTX_CBID_CORE2_DomainRangeEnd] = (NvtxFunctionPointer)range_end;
    return 1;
}
