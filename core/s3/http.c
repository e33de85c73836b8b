/* http.c — one plain HTTP request for the credential services (see
 * http.h). */
#include "http.h"

#include <curl/curl.h>

static size_t write_simple(char *data, size_t size, size_t count, void *user)
{
    return mc_buf_add(user, data, size * count) == 0 ? size * count : 0;
}

int mc_http_simple(void *ctx, const char *method, const char *url, const char *const *headers,
                   struct mc_buf *body, long *status, struct mc_err *err)
{
    struct curl_slist *list = NULL;
    CURL *easy = curl_easy_init();
    CURLcode code;
    size_t i;

    (void)ctx;
    *status = 0;
    if (!easy) {
        mc_err_set(err, "cannot start libcurl");
        return -1;
    }
    for (i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)MC_HTTP_SIMPLE_TIMEOUT_MS);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_simple);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, body);
    code = curl_easy_perform(easy);
    if (code == CURLE_OK)
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);
    else
        mc_err_set(err, "%s: %s", url, curl_easy_strerror(code));
    curl_slist_free_all(list);
    curl_easy_cleanup(easy);
    return code == CURLE_OK ? 0 : -1;
}
