/* vkit — the few libxml2 helpers every reader of libvirt and osinfo XML
 * uses: find elements, copy attributes and text, parse safely (no
 * network, no messages), free with a cleanup attribute. */
#ifndef VK_VIRT_XML_H
#define VK_VIRT_XML_H

#include <stdbool.h>

#include <libxml/tree.h>

/* True when n is an element called `name` (n may be NULL). */
bool vk_xml_is(const xmlNode *n, const char *name);
/* The first child element of n called `name`, or NULL (n may be NULL). */
xmlNode *vk_xml_child(const xmlNode *n, const char *name);
/* A copy (malloc) of attribute `name` of n, NULL if absent or empty. */
char *vk_xml_attr(const xmlNode *n, const char *name);
/* A copy (malloc) of the text of n, NULL if n is NULL or it is empty. */
char *vk_xml_text(const xmlNode *n);
/* Parse `len` bytes of XML named `what` in libxml2's messages (which are
 * not printed); NULL when it is not well-formed. */
xmlDocPtr vk_xml_read(const char *xml, size_t len, const char *what);

void vk_cleanup_xmldoc(xmlDocPtr *doc);
#define CLEANUP_XMLDOC __attribute__((cleanup(vk_cleanup_xmldoc)))

#endif
