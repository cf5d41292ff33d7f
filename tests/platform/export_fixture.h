// A tiny pisim trace (docs/trace-format.md) for the exporter tests: one pCPU,
// one vCPU, VT-d, one NIC and one posted interrupt (tag 0x10000000001) that
// goes NIC write -> VT-d request -> post -> notification -> PI processing ->
// guest ISR, with a control handler in root mode first.
#pragma once

#include <string>

namespace pisim::test {

inline std::string tiny_trace() {
    return R"({"format":"pisim-trace","version":1,"scenario":"tiny.yaml","seed":1,"profile":"skylake-sp","irq_mode":"vtd-pi",
"end_cycle":1000,"truncated":false,
"units":{"pcpu":[{"id":0,"name":"pcpu0","apic_id":0}],"vcpu":[{"id":0,"name":"d1v0","domain":1,"pid":8192}],
"vtd":[{"id":0,"name":"vtd0"}],"dev":[{"id":256,"name":"nic0"}]},
"kinds":[
{"name":"cpu.mode","unit":"pcpu","args":["mode","vcpu"]},
{"name":"hyp.vcpu_state","unit":"vcpu","args":["old","new","pcpu"]},
{"name":"hyp.handler_enter","unit":"pcpu","args":["handler","detail","vcpu"]},
{"name":"hyp.handler_exit","unit":"pcpu","args":["handler","detail","vcpu"]},
{"name":"nic.msi_write","unit":"dev","args":["address","data","vector_index","queue"]},
{"name":"vtd.request","unit":"vtd","args":["address","data","requester_id"]},
{"name":"vtd.post","unit":"vtd","args":["index","pid","vector","old_control","new_control","notify"]},
{"name":"pid.update","unit":"vcpu","args":["pid","word","old","new","writer"]},
{"name":"apic.accept","unit":"pcpu","args":["vector","ppr"]},
{"name":"cpu.pi_process","unit":"pcpu","args":["vcpu","rvi","pir0","pir1","pir2","pir3"]},
{"name":"cpu.vapic","unit":"vcpu","args":["rvi","svi","vppr"]},
{"name":"guest.isr_begin","unit":"vcpu","args":["vector"]},
{"name":"guest.isr_end","unit":"vcpu","args":["vector"]},
{"name":"hyp.schedule","unit":"pcpu","args":["prev","next","reason"]}
],
"events":[
[0,0,0,0,0,0],
[0,7,0,0,8192,4,0,"0xf20002",2],
[5,2,0,0,6,251,4294967295],
[8,13,0,0,4294967295,0,3],
[10,1,0,0,0,2,0],
[15,3,0,0,6,251,4294967295],
[20,0,0,0,1,0],
[100,4,256,"0x10000000001",4276092952,0,0,0],
[150,5,0,"0x10000000001",4276092952,0,256],
[200,7,0,0,8192,4,"0xf20000","0xf20001",0],
[200,6,0,"0x10000000001",0,8192,64,"0xf20000","0xf20001",1],
[250,8,0,"0x10000000001",242,0],
[250,7,0,0,8192,4,"0xf20001","0xf20000",1],
[250,9,0,0,0,64,0,1,0,0],
[250,10,0,0,64,0,0],
[300,10,0,0,0,64,64],
[300,11,0,0,64],
[400,12,0,0,64],
[400,10,0,0,0,0,0]
],
"interrupts":[{"tag":1099511627777,"device":256,"vcpu":0,"vector":64,"delivered":true,"latency":200,
"steps":[{"name":"device_write","cycle":100},{"name":"vtd_request","cycle":150},{"name":"posting","cycle":200},
{"name":"notification","cycle":250},{"name":"pi_processing","cycle":250},{"name":"virtual_delivery","cycle":300}]}],
"violations":[]}
)";
}

}  // namespace pisim::test
